using Fleet.DeviceAgent.Runtime;

namespace Fleet.DeviceAgent.Simulation;

/// <summary><c>simulate</c>: many devices in one process, for demos and load tests of the portal.</summary>
public static class SimulateCommand
{
    public const string Name = "simulate";

    /// <summary>The log category of every device; overridable as Logging:LogLevel:&lt;this&gt;.</summary>
    private static readonly string RuntimeCategory = typeof(DeviceRuntime).FullName!;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled or the process is told to stop.</summary>
    /// <returns>0 after a run; 2 for a bad flag, option or state file (with one line on standard error).</returns>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parsed = SimulateParseResult.Parse(args);
        if (parsed.HelpRequested)
        {
            Console.WriteLine(SimulateArguments.Usage);
            return 0;
        }

        if (parsed.Arguments is not { } arguments)
        {
            await Console.Error.WriteLineAsync($"simulate: {parsed.Error}");
            await Console.Error.WriteLineAsync(SimulateArguments.Usage);
            return 2;
        }

        var (state, error) = await SimulationState.OpenAsync(arguments, cancellationToken);
        error ??= await state!.PrepareAsync(
            SimulatedFleet.Create(arguments.Count, state.Seed, TimeProvider.System), arguments.PreEnrolled,
            cancellationToken);
        if (error is not null)
        {
            await Console.Error.WriteLineAsync($"simulate: {error}");
            return 2;
        }

        // The simulate options are parsed above; configuration comes from appsettings.json and Agent__* variables.
        var builder = Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.AddAgentCore();
        builder.Services.AddSingleton(arguments);
        builder.Services.AddSingleton(state!);
        builder.Services.AddHostedService<SimulationService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        if (builder.Configuration[$"Logging:LogLevel:{RuntimeCategory}"] is null)
        {
            // Thousands of devices logging each reconnect would bury the summary lines that matter.
            builder.Logging.AddFilter(RuntimeCategory, arguments.Count <= 10 ? LogLevel.Information : LogLevel.Error);
        }

        using var host = builder.Build();
        if ((host.OptionsProblem() ?? BrokerTrust.Problem(SimulationService.DeviceOptions(arguments,
                host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value)))
            is { } problem)
        {
            await Console.Error.WriteLineAsync($"simulate: {problem}");
            return 2;
        }

        await host.RunAsync(cancellationToken);
        return 0;
    }
}
