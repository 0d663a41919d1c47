using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tpm;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>
/// How the device loop carries TPM evidence and answers challenges (the TPM itself is a stand-in here;
/// the real tpm2-tools adapter on swtpm is tested in Portal.Tests/Attestation).
/// </summary>
public sealed class DeviceRuntimeTpmTests
{
    private static readonly TpmEvidence Evidence = new("ZWs=", "YWs=", "000b00");

    private readonly RecordingLogger _logger = new();

    [Fact]
    public async Task RunAsync_PortalChallenges_AnswersAtOnceThenWaitsItsTurn()
    {
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-t"] = "secret-t";
            p.Decide = (n, _) => n switch
            {
                1 => new EnrollmentResponse(EnrollmentDecision.Pending, Reason: "prove it", RetryAfterSeconds: 0, TpmChallenge: Challenge("c1")),
                2 => new EnrollmentResponse(EnrollmentDecision.Pending, Reason: "waiting for approval", RetryAfterSeconds: 5, TpmChallenge: Challenge("c2")),
                _ => new EnrollmentResponse(EnrollmentDecision.Approved, "dev-t", "secret-t"),
            };
        });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var tpm = new StandInTpm();
        var runtime = CreateRuntime(portal, time, tpm);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        // The answer to the opening challenge goes out with the clock standing still.
        await runtime.WaitForPhaseAsync(DevicePhase.Pending, TestContext.Current.CancellationToken).Within();
        var topic = Topics.EnrollmentRequest(EnrollmentIdOf(runtime));
        await portal.WaitForAsync(p => p.Topic == topic && p.Read(FleetJson.Default.EnrollmentRequest).TpmActivation?.ChallengeId == "c1").Within();
        await Eventually.AdvanceUntilAsync(time, runtime.WaitForPhaseAsync(DevicePhase.Connected, TestContext.Current.CancellationToken), TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await run.Within();

        var requests = portal.PublishedTo(topic).Select(p => p.Read(FleetJson.Default.EnrollmentRequest)).ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(Evidence, r.Tpm));
        Assert.Null(requests[0].TpmActivation);
        Assert.Equal(("c1", "c2"), (requests[1].TpmActivation?.ChallengeId, requests[2].TpmActivation?.ChallengeId));
        Assert.Equal(requests[0].SentAt, requests[1].SentAt); // the opening challenge is answered at once (no clock advance)
        Assert.True(requests[2].SentAt - requests[1].SentAt >= TimeSpan.FromSeconds(5), "a proven pending device asks on the portal's schedule");
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_TpmFailsToActivate_LogsAndDoesNotLoop()
    {
        await using var portal = await FakePortal.StartAsync(p =>
            p.Decide = (n, _) => new EnrollmentResponse(EnrollmentDecision.Pending, Reason: "prove it", RetryAfterSeconds: 5, TpmChallenge: Challenge($"c{n}")));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var runtime = CreateRuntime(portal, time, new StandInTpm { Fails = true });
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await runtime.WaitForPhaseAsync(DevicePhase.Pending, TestContext.Current.CancellationToken).Within();
        var topic = Topics.EnrollmentRequest(EnrollmentIdOf(runtime));
        await Eventually.AdvanceUntilAsync(time, portal.WaitForAsync(p => p.Topic == topic && portal.PublishedTo(topic).Count >= 3), TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await run.Within();

        var requests = portal.PublishedTo(topic).Select(p => p.Read(FleetJson.Default.EnrollmentRequest)).ToList();
        Assert.Null(requests[1].TpmActivation);
        Assert.True(requests[2].SentAt - requests[1].SentAt >= TimeSpan.FromSeconds(5), "after a TPM failure the next request waits its turn");
        Assert.Contains(_logger.Errors, e => e.Contains("could not prove", StringComparison.Ordinal));
    }

    private static TpmChallenge Challenge(string id) => new(id, "aWQ=", "c2Vj", DateTimeOffset.MaxValue);

    private static string EnrollmentIdOf(DeviceRuntime runtime) => runtime.EnrollmentId ?? throw new InvalidOperationException("state not loaded");

    private DeviceRuntime CreateRuntime(FakePortal portal, TimeProvider time, ITpmAttestor tpm)
    {
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5,
        };
        var store = new InMemoryStateStore(new AgentState("enroll-00112233445566778899aabbccddeef0"));
        return TestRuntime.Create(
            options, store, time, _logger, attestation: [new TpmEnrollmentAttestation(tpm, _logger)]);
    }

    private sealed class StandInTpm : ITpmAttestor
    {
        public bool Fails { get; init; }

        public Task<TpmEvidence> GetEvidenceAsync(CancellationToken cancellationToken) => Task.FromResult(Evidence);

        public Task<TpmActivation> ActivateAsync(TpmChallenge challenge, CancellationToken cancellationToken) =>
            Fails ? throw new TpmException("tpm2_activatecredential failed: TPM_RC_INTEGRITY") : Task.FromResult(new TpmActivation(challenge.ChallengeId, "c2VjcmV0"));
    }
}
