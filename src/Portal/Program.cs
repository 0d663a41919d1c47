using Fleet.Portal;

// A start that fails ends with one line saying why and a documented exit code (docs/operations.md), not an abort
// or a stack trace: 2 when it refused (a reason a person can act on, named with its option), 1 for anything else.
const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
var starting = false;
WebApplication? app = null;
try
{
    // While starting, the host's own report of a failed start (the exception and its stack trace) is left out:
    // the failure is reported below, explained when it can be. The host logs nothing else at Information or above.
    app = PortalApp.Build(args, builder => builder.Logging.AddFilter(HostCategory, level =>
        level >= LogLevel.Information && (!starting || level < LogLevel.Error)));

    // Options first, before anything starts (the host checks them again, at no cost).
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
    starting = true;
    await app.StartAsync();
    starting = false;
    await app.WaitForShutdownAsync();
    return await StoppedAsync(app);
}
catch (Exception ex)
{
    var refused = ex as Fleet.Portal.StartupRefusedException
        ?? (app is null ? null : StartupErrors.Explain(ex, app.Configuration));
    if (app is not null && starting)
    {
        // Stopping what did start (broker, background services) lets them end quietly, as in a normal stop.
        await app.StopAsync();
    }

    await Console.Error.WriteLineAsync(refused is null
        ? $"Fleet portal stopped: {ex}"
        : $"Fleet portal refused to start: {refused.Message}");
    return refused is null ? 1 : 2;
}
finally
{
    if (app is not null)
    {
        await app.DisposeAsync();
    }
}

// A background service that failed stopped the host (if it failed while the host was starting, the host's report of
// it was left out above): exit 1 with the exception.
static async Task<int> StoppedAsync(WebApplication app)
{
    var failed = app.Services.GetServices<IHostedService>().OfType<BackgroundService>()
        .Select(s => s.ExecuteTask?.Exception?.GetBaseException())
        .FirstOrDefault(e => e is not null);
    if (failed is null)
    {
        return 0;
    }

    await Console.Error.WriteLineAsync($"Fleet portal stopped: {failed}");
    return 1;
}
