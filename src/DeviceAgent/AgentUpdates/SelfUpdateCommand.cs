using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Updates;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// The two switches self-update needs, handled before the agent's host is built: <c>--version</c> prints the version
/// (a new build proves it starts on this machine) and <c>--rollback-if-pending</c> runs the restorer
/// (<see cref="AgentRestorer"/>).
/// </summary>
public static class SelfUpdateCommand
{
    public const string VersionSwitch = "--version";

    public const string RollbackSwitch = "--rollback-if-pending";

    /// <summary>Whether <paramref name="args"/> start with one of the switches.</summary>
    public static bool Handles(string[] args) => args is [VersionSwitch or RollbackSwitch, ..];

    /// <summary>Runs the switch; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args[0] == VersionSwitch)
        {
            await Console.Out.WriteLineAsync(AgentVersion.Current);
            return 0;
        }

        // The agent's configuration (environment, appsettings.json, the rest of the command line) for its state folder
        // alone: the restorer must put the previous build back even when another option is wrong.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args[1..],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSystemd();
        var stateDirectory = builder.Configuration[$"{AgentOptions.SectionName}:{nameof(AgentOptions.StateDirectory)}"];
        stateDirectory = string.IsNullOrEmpty(stateDirectory) ? new AgentOptions().StateDirectory : stateDirectory;
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILogger<AgentRestorer>>();
        var restorer = new AgentRestorer(
            new SelfUpdateStore(stateDirectory, logger),
            new AgentUnits(new ProcessRunner()),
            TimeProvider.System,
            logger);
        return await restorer.RollbackIfPendingAsync(CancellationToken.None);
    }
}
