// A start that fails ends with one line saying why and a documented exit code (docs/operations.md), not an abort.
try
{
    await Fleet.Portal.PortalApp.Build(args).RunAsync();
    return 0;
}
catch (Exception ex)
    when (ex is Fleet.Portal.Data.StartupRefusedException or Microsoft.Extensions.Options.OptionsValidationException)
{
    await Console.Error.WriteLineAsync($"Fleet portal refused to start: {ex.Message}");
    return 2;
}
catch (Exception ex)
{
    await Console.Error.WriteLineAsync($"Fleet portal stopped: {ex.GetType().Name}: {ex.Message}");
    return 1;
}
