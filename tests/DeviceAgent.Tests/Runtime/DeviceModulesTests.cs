using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Config;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>The connection loop runs the modules a host registers, and only those.</summary>
public sealed class DeviceModulesTests
{
    private const string EnrollmentId = "enroll-00112233445566778899aabbccddeeff";

    private readonly RecordingLogger _logger = new();

    [Fact]
    public async Task RunAsync_HeartbeatAndRotationOnly_SubscribesToTheirTopicsAlone()
    {
        await using var portal = await FakePortal.StartAsync(p => p.Credentials["dev-1"] = "secret-1");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var runtime = TestRuntime.Create(Options(portal), Enrolled(), time, _logger);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await portal.WaitForAsync(p => p.Topic == Topics.Heartbeat("dev-1"));
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal([Topics.Settings("dev-1"), Topics.Credential("dev-1")], portal.Subscriptions);
        Assert.Empty(portal.PublishedTo(Topics.Health("dev-1")));
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_EveryModule_SubscribesEachTopicOnceInRegistrationOrderBeforeOnline()
    {
        await using var portal = await FakePortal.StartAsync(p => p.Credentials["dev-1"] = "secret-1");
        await using var updates = new UpdateRig("42.1", deliverReports: false);
        using var config = new ConfigRig();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Options(portal);
        var device = SimulatedFleet.Create(1, seed: 11, time)[0];
        var outbox = new HealthOutbox(null, new HealthAgentOptions(), time, _logger);
        var runtime = TestRuntime.Create(options, Enrolled(), time, _logger,
        [
            new UpdatesModule(updates.Coordinator, _logger),
            new HealthModule(device, outbox, options, time, _logger),
            new ConfigModule(config.Coordinator, _logger),
        ]);
        List<string>? subscribedBeforeOnline = null;
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await portal.WaitForAsync(p =>
        {
            if (p.Topic == Topics.Status("dev-1"))
            {
                subscribedBeforeOnline ??= [.. portal.Subscriptions];
            }

            return p.Topic == Topics.Health("dev-1");
        });
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal(
            [
                Topics.Settings("dev-1"), Topics.Credential("dev-1"), Topics.UpdatePolicy("dev-1"),
                Topics.Config("dev-1"),
            ],
            subscribedBeforeOnline);
        Assert.Equal(
            [
                typeof(HeartbeatModule), typeof(CredentialRotationModule), typeof(UpdatesModule), typeof(HealthModule),
                typeof(ConfigModule),
            ],
            runtime.Modules.Select(m => m.GetType()));
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public void Create_TwoAttestations_Refused()
    {
        var time = new FakeTimeProvider();
        var broker = new BrokerAccess(
            new AgentOptions { PlainMqtt = true }, () => throw new InvalidOperationException(), time);
        var device = SimulatedFleet.Create(1, seed: 11, time)[0];
        var tpm = new Tpm.TpmEnrollmentAttestation(new NoTpm(), _logger);

        Assert.Throws<ArgumentException>(() => new DeviceEnrollment(
            broker, device, new InMemoryStateStore(), new LoggedClaimCode(_logger), [tpm, tpm], _logger));
    }

    private static AgentOptions Options(FakePortal portal) =>
        new() { BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5 };

    private static InMemoryStateStore Enrolled() => new(new AgentState(EnrollmentId, "dev-1", "secret-1"));

    private sealed class NoTpm : Tpm.ITpmAttestor
    {
        public Task<TpmEvidence> GetEvidenceAsync(CancellationToken cancellationToken) =>
            throw new Tpm.TpmException("no TPM");

        public Task<TpmActivation> ActivateAsync(TpmChallenge challenge, CancellationToken cancellationToken) =>
            throw new Tpm.TpmException("no TPM");
    }
}
