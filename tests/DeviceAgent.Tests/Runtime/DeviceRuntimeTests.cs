using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Runtime;

public sealed class DeviceRuntimeTests
{
    private const string EnrollmentId = "enroll-00112233445566778899aabbccddeeff";

    private readonly RecordingLogger _logger = new();

    [Fact]
    public async Task RunAsync_PendingThenApproved_ConnectsReportsOnlineAndHeartbeatsAtPortalInterval()
    {
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-1"] = "secret-1";
            p.SettingsOnOnline = new DeviceSettings(10);
            p.Decide = (n, _) => n == 1
                ? new EnrollmentResponse(EnrollmentDecision.Pending, null, null, "waiting for a person", 5)
                : new EnrollmentResponse(EnrollmentDecision.Approved, "dev-1", "secret-1", null, 0);
        });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryStateStore();
        var runtime = CreateRuntime(portal, store, time);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await runtime.WaitForPhaseAsync(DevicePhase.Pending, TestContext.Current.CancellationToken).Within();
        var requestTopic = Topics.EnrollmentRequest(runtime.EnrollmentId!);
        var request = Assert.Single(portal.PublishedTo(requestTopic)).Read(FleetJson.Default.EnrollmentRequest);
        Assert.Equal((Protocol.Version, "sim-00001"), (request.ProtocolVersion, request.Hostname));
        Assert.True(EnrollmentIds.IsValid(runtime.EnrollmentId));

        // The bootstrap CONNECT proves the enrolment key its requests carry: the portal refuses the id alone.
        Assert.False(string.IsNullOrEmpty(request.EnrollmentKey));
        Assert.Equal([request.EnrollmentKey], portal.BootstrapKeys);

        await Eventually.AdvanceUntilAsync(time, runtime.WaitForPhaseAsync(DevicePhase.Connected, TestContext.Current.CancellationToken), TimeSpan.FromSeconds(1));
        Assert.Equal(2, portal.PublishedTo(requestTopic).Count);
        Assert.Equal(("dev-1", "secret-1"), (store.Current?.DeviceId, store.Current?.Secret));
        Assert.Equal("dev-1", runtime.DeviceId);

        var online = await portal.WaitForAsync(p => p.Topic == Topics.Status("dev-1"));
        Assert.Equal(DeviceState.Online, online.Read(FleetJson.Default.DeviceStatus).State);
        var first = (await portal.WaitForAsync(p => p.Topic == Topics.Heartbeat("dev-1"))).Read(FleetJson.Default.Heartbeat);
        Assert.Equal(1, first.Sequence);
        await Eventually.TrueAsync(() => runtime.Module<HeartbeatModule>()!.Interval == TimeSpan.FromSeconds(10));

        var second = (await Eventually.AdvanceUntilAsync(time, portal.WaitForAsync(p => p.Topic == Topics.Heartbeat("dev-1") && p.Read(FleetJson.Default.Heartbeat).Sequence == 2), TimeSpan.FromSeconds(1)))
            .Read(FleetJson.Default.Heartbeat);
        // Not before the portal's 10 s, and well short of the 30 s default (the upper bound allows for a slow machine).
        Assert.InRange(second.SentAt - first.SentAt, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));

        await stop.CancelAsync();
        await run.Within();
        var statuses = portal.PublishedTo(Topics.Status("dev-1")).Select(p => p.Read(FleetJson.Default.DeviceStatus).State);
        Assert.True(statuses.SequenceEqual([DeviceState.Online, DeviceState.Offline]), string.Join("\n", _logger.Entries.Select(e => $"{e.Level}: {e.Message}")));
        Assert.Equal(DevicePhase.Stopped, runtime.Phase);
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_AcknowledgementsSlowerThanTimeout_WaitsWithoutReconnectingOrSendingAgain()
    {
        // A portal under a mass enrolment acknowledges (stores) the request and Online after the agent's 1 s timeout.
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-3"] = "secret-3";
            p.AcknowledgementDelay = m => Topics.TryParse(m.Topic, out var topic)
                && (topic.Kind == TopicKind.EnrollmentRequest || (topic.Kind == TopicKind.Status && IsOnline(m)))
                ? TimeSpan.FromSeconds(3)
                : TimeSpan.Zero;
            p.Decide = (_, _) => new EnrollmentResponse(EnrollmentDecision.Approved, "dev-3", "secret-3", null, 0);
        });
        var store = new InMemoryStateStore();
        var runtime = CreateRuntime(portal, store, TimeProvider.System, timeoutSeconds: 1);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        var online = await portal.WaitForAsync(p => p.Topic == Topics.Status("dev-3"));
        await runtime.WaitForPhaseAsync(DevicePhase.Connected, TestContext.Current.CancellationToken).Within();
        await stop.CancelAsync();
        await run.Within();

        // The goodbye is sent as the agent stops; the broker may record it a moment after the run has ended.
        await portal.WaitForAsync(p => p.Topic == Topics.Status("dev-3") && !IsOnline(p));
        Assert.Single(portal.PublishedTo(Topics.EnrollmentRequest(runtime.EnrollmentId!)));
        Assert.Single(portal.BootstrapKeys);
        Assert.Equal(DeviceState.Online, online.Read(FleetJson.Default.DeviceStatus).State);
        var statuses = portal.PublishedTo(Topics.Status("dev-3")).Select(p => p.Read(FleetJson.Default.DeviceStatus));
        Assert.Equal([DeviceState.Online, DeviceState.Offline], statuses.Select(s => s.State));
        Assert.Equal(0, runtime.ConnectFailures);
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_SavedCredential_ConnectsWithoutEnrolling()
    {
        await using var portal = await FakePortal.StartAsync(p => p.Credentials["dev-7"] = "secret-7");
        var store = new InMemoryStateStore(new AgentState(EnrollmentId, "dev-7", "secret-7"));
        var runtime = CreateRuntime(portal, store, new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await portal.WaitForAsync(p => p.Topic == Topics.Heartbeat("dev-7"));
        await stop.CancelAsync();
        await run.Within();

        Assert.Empty(portal.PublishedTo(Topics.EnrollmentRequest(EnrollmentId)));
        Assert.Equal(EnrollmentId, runtime.EnrollmentId);
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_CredentialRefused_DeletesCredentialAndAsksAgainWithSameEnrollmentId()
    {
        await using var portal = await FakePortal.StartAsync(p =>
            p.Decide = (_, _) => new EnrollmentResponse(EnrollmentDecision.Pending, null, null, null, 60));
        var store = new InMemoryStateStore(new AgentState(EnrollmentId, "dev-revoked", "old-secret"));

        // Real clock: the revocation back-off (at most a second the first time) must actually pass.
        var runtime = CreateRuntime(portal, store, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await runtime.WaitForPhaseAsync(DevicePhase.Pending, TestContext.Current.CancellationToken).Within();
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal(new AgentState(EnrollmentId, EnrollmentKey: store.Current!.EnrollmentKey), store.Current);
        Assert.False(string.IsNullOrEmpty(store.Current.EnrollmentKey));
        Assert.Null(runtime.DeviceId);
        var request = Assert.Single(portal.PublishedTo(Topics.EnrollmentRequest(EnrollmentId)));
        Assert.Equal(store.Current.EnrollmentKey, request.Read(FleetJson.Default.EnrollmentRequest).EnrollmentKey);
        Assert.Empty(portal.PublishedTo(Topics.Status("dev-revoked")));
    }

    [Fact]
    public async Task RunAsync_Rejected_AsksAgainOnlyAfterTenMinutes()
    {
        await using var portal = await FakePortal.StartAsync(p =>
            p.Decide = (_, _) => new EnrollmentResponse(EnrollmentDecision.Rejected, null, null, "unknown hardware", 0));
        var time = new FakeTimeProvider();
        var runtime = CreateRuntime(portal, new InMemoryStateStore(new AgentState(EnrollmentId)), time);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await runtime.WaitForPhaseAsync(DevicePhase.Rejected, TestContext.Current.CancellationToken).Within();
        var rejectedAt = time.GetUtcNow();
        var secondRequest = portal.WaitForAsync(p => p.Topic == Topics.EnrollmentRequest(EnrollmentId)
            && p.Read(FleetJson.Default.EnrollmentRequest).SentAt > rejectedAt);
        var asked = await Eventually.AdvanceUntilAsync(time, secondRequest, TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await run.Within();

        Assert.InRange(asked.Read(FleetJson.Default.EnrollmentRequest).SentAt - rejectedAt, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15));
        Assert.Contains(_logger.Entries, e => e.Message.Contains("unknown hardware", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WrongBootstrapPassword_StaysDisconnectedAndCountsFailures()
    {
        await using var portal = await FakePortal.StartAsync();
        var runtime = CreateRuntime(portal, new InMemoryStateStore(), new FakeTimeProvider(), bootstrapPassword: "wrong");
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await Eventually.TrueAsync(() => runtime.ConnectFailures > 0);
        await stop.CancelAsync();
        await run.Within();

        Assert.Contains(_logger.Entries, e => e.Message.Contains("Agent:BootstrapPassword", StringComparison.Ordinal));
        Assert.Empty(portal.PublishedTo(Topics.EnrollmentRequest(runtime.EnrollmentId!)));
    }

    [Fact]
    public async Task RunAsync_CalledTwice_Throws()
    {
        await using var portal = await FakePortal.StartAsync();
        var runtime = CreateRuntime(portal, new InMemoryStateStore(), new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.RunAsync(stop.Token));
        await stop.CancelAsync();
        await run.Within();
    }

    private static bool IsOnline(Published message) =>
        message.Read(FleetJson.Default.DeviceStatus).State == DeviceState.Online;

    private DeviceRuntime CreateRuntime(
        FakePortal portal, IStateStore store, TimeProvider time, string bootstrapPassword = "", int timeoutSeconds = 5)
    {
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = portal.Port,
            PlainMqtt = true,
            BootstrapPassword = bootstrapPassword,
            TimeoutSeconds = timeoutSeconds,
        };
        return TestRuntime.Create(options, store, time, _logger);
    }
}
