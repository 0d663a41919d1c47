using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>
/// The agent's update side, wired as <c>AddOsUpdates</c> wires it, against the bash stand-ins and a fake
/// update server, on a fake clock. Reports are "delivered" as soon as they are ready, as a connected
/// device loop would.
/// </summary>
internal sealed class UpdateRig : IAsyncDisposable
{
    /// <param name="deliverReports">Take every report as soon as it is ready (false: a device loop publishes them).</param>
    public UpdateRig(string bootedVersion = "42.1", long bootedTimestamp = 1_000, UpdateAgentOptions? options = null, IProcessRunner? runner = null, bool deliverReports = true)
    {
        Os = new FakeOs(bootedVersion, bootedTimestamp);
        Booted = FakeOs.ReleaseOf(bootedVersion, bootedTimestamp);
        var tools = runner ?? Os.Runner;
        var host = new LinuxUpdateHost(Options.Create(new AgentOptions { HostRoot = Os.Root }));
        var systemctl = new SystemctlCli(tools);
        var rpmOstree = new RpmOstreeCli(tools);
        var http = new HttpClient();
        Coordinator = new UpdateCoordinator(
            new DeploymentObserver(rpmOstree, new GreenbootReader(host, systemctl, Logger<GreenbootReader>()), host, Logger<DeploymentObserver>()),
            new ZincatiConfigWriter(host, systemctl, Logger<ZincatiConfigWriter>()),
            new UpdateDriver(rpmOstree, new CincinnatiClient(http), new FleetLockClient(http), host, Time, Logger<UpdateDriver>()),
            systemctl,
            systemctl,
            Store,
            Options.Create(options ?? new UpdateAgentOptions()),
            Time,
            Logger<UpdateCoordinator>());
        if (!deliverReports)
        {
            return;
        }

        Coordinator.ReportReady += (_, _) =>
        {
            while (Coordinator.NextReport() is { } report)
            {
                Reports.Add(report);
                Coordinator.Delivered(report);
            }
        };
    }

    public FakeOs Os { get; }

    public FakeOs.Release Booted { get; }

    public FakeUpdateServer Server { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));

    public InMemoryUpdateStateStore Store { get; } = new();

    public UpdateCoordinator Coordinator { get; }

    public RecordingLogger Log { get; } = new();

    public List<DeploymentReport> Reports { get; } = [];

    public IEnumerable<UpdateEvent> Events => Reports.Where(r => r.Event is not null).Select(r => r.Event!);

    public IEnumerable<string> EventSummary => Events.Select(e => $"{e.Kind} {e.TargetVersion}".Trim());

    public DeploymentReport LastReport => Reports[^1];

    public UpdatePolicy Policy(bool enabled = true, string? pinned = null, string? rollback = null) =>
        new("stable", enabled, Server.BaseUrl, Server.BaseUrl, "default", pinned, rollback);

    /// <summary>One coordinator pass, after handing it <paramref name="policy"/> if given.</summary>
    public Task CycleAsync(UpdatePolicy? policy = null)
    {
        if (policy is not null)
        {
            Coordinator.OnPolicy(policy);
        }

        return Coordinator.CycleAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Moves the clock past the check interval, then runs a pass.</summary>
    public Task CycleLaterAsync(TimeSpan? after = null)
    {
        Time.Advance(after ?? TimeSpan.FromMinutes(5));
        return CycleAsync();
    }

    public ILogger<T> Logger<T>() => new Forwarding<T>(Log);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Os.Dispose();
    }

    private sealed class Forwarding<T>(RecordingLogger inner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
