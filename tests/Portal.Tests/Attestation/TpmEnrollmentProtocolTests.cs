using Fleet.DeviceAgent.Tpm;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>
/// The TPM enrolment exchange over the real broker, with the agent's real tpm2-tools adapter on a real
/// swtpm answering: challenge, proof, and every way a proof is refused.
/// </summary>
public sealed class TpmEnrollmentProtocolTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private PortalInstance _portal = null!;
    private SoftwareTpm _tpm = null!;
    private Tpm2Tools _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _tpm = await SoftwareTpm.StartAsync();
        _adapter = _tpm.Adapter();
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Fleet:Attestation:ChallengeLifetimeSeconds"] = "60" }, time: _time);
    }

    public async ValueTask DisposeAsync()
    {
        _adapter.Dispose();
        await _tpm.DisposeAsync();
        await _portal.DisposeAsync();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstRequest_WithTpm_PendingWithChallengeAndNothingRecorded()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;

        Assert.Equal(EnrollmentDecision.Pending, response.Decision);
        Assert.NotNull(response.TpmChallenge);
        await using var db = await _portal.CreateDbAsync();
        Assert.False(await db.Devices.AnyAsync(d => d.EnrollmentId == client.ClientId, Token));
    }

    [Fact]
    public async Task Activation_Correct_DeviceRecordedWithEkAndNextChallenge()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;

        var proven = await client.EnrollAsync(request with { TpmActivation = await _adapter.ActivateAsync(response.TpmChallenge!, Token) });

        Assert.Equal(EnrollmentDecision.Pending, proven.Decision);
        Assert.NotNull(proven.TpmChallenge);
        Assert.NotEqual(response.TpmChallenge!.ChallengeId, proven.TpmChallenge.ChallengeId);
        var ekHash = TpmEvidenceReader.Check(request.Tpm!).Evidence!.EkHash;
        await using var db = await _portal.CreateDbAsync();
        var device = await db.Devices.Include(d => d.Identifiers).SingleAsync(d => d.EnrollmentId == client.ClientId, Token);
        Assert.Equal(ekHash, device.EkHash);
        Assert.Contains(device.Identifiers, i => i.Kind == IdentifierKind.EkHash && i.Value == ekHash);
        Assert.Contains(device.Identifiers, i => i.Kind == IdentifierKind.MachineId && i.Value == request.MachineId);
        Assert.Contains(device.Identifiers, i => i.Kind == IdentifierKind.Mac);
    }

    [Fact]
    public async Task Activation_Replayed_RefusedAsReplay()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;
        var answered = request with { TpmActivation = await _adapter.ActivateAsync(response.TpmChallenge!, Token) };
        Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(answered)).Decision);

        var replay = await client.EnrollAsync(answered);

        Assert.Equal(EnrollmentDecision.Invalid, replay.Decision);
        Assert.Contains("replay", replay.Reason, StringComparison.Ordinal);
        Assert.Contains(_portal.Logs.Entries, e => e.Message.Contains("TPM attestation of enrolment", StringComparison.Ordinal) && e.Message.Contains("replay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Activation_WrongSecret_RefusedAuditedAndChallengeBurnt()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;
        var wrong = new TpmActivation(response.TpmChallenge!.ChallengeId, Convert.ToBase64String(new byte[32]));

        var refused = await client.EnrollAsync(request with { TpmActivation = wrong });

        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Contains("tpmActivation.secret", refused.Reason, StringComparison.Ordinal);
        var right = await _adapter.ActivateAsync(response.TpmChallenge, Token);
        var late = await client.EnrollAsync(request with { TpmActivation = right });
        Assert.Equal(EnrollmentDecision.Invalid, late.Decision); // one answer per challenge
        await using var db = await _portal.CreateDbAsync();
        Assert.False(await db.Devices.AnyAsync(d => d.EnrollmentId == client.ClientId, Token));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "device.tpm-refused" && a.EntityId == client.ClientId, Token));
    }

    [Fact]
    public async Task Activation_ByAnotherTpm_CannotDecryptAndGuessRefused()
    {
        // A device copies this TPM's EK but has another TPM: its TPM cannot activate, so it can only guess.
        await using var otherTpm = await SoftwareTpm.StartAsync();
        using var other = otherTpm.Adapter();
        var otherEvidence = await other.GetEvidenceAsync(Token);
        var mine = await _adapter.GetEvidenceAsync(Token);
        var (client, request, response) = await OpenAsync(otherEvidence with { EkPublic = mine.EkPublic });
        await using var _ = client;

        await Assert.ThrowsAsync<TpmException>(() => other.ActivateAsync(response.TpmChallenge!, Token));
        var guess = await client.EnrollAsync(request with { TpmActivation = new TpmActivation(response.TpmChallenge!.ChallengeId, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))) });

        Assert.Equal(EnrollmentDecision.Invalid, guess.Decision);
        Assert.Contains("did not decrypt", guess.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activation_AfterExpiry_NewChallengeNotAccepted()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;
        var answer = await _adapter.ActivateAsync(response.TpmChallenge!, Token);

        _time.Advance(TimeSpan.FromSeconds(61));
        var late = await client.EnrollAsync(request with { TpmActivation = answer });

        Assert.Equal(EnrollmentDecision.Pending, late.Decision);
        Assert.NotNull(late.TpmChallenge);
        Assert.NotEqual(response.TpmChallenge!.ChallengeId, late.TpmChallenge.ChallengeId);
        await using var db = await _portal.CreateDbAsync();
        Assert.False(await db.Devices.AnyAsync(d => d.EnrollmentId == client.ClientId, Token));
    }

    [Fact]
    public async Task Activation_ChallengeOfAnotherEnrolment_Refused()
    {
        var (first, request, response) = await OpenAsync();
        await using var _ = first;
        var (second, secondRequest, _) = await OpenAsync();
        await using var __ = second;

        var stolen = await second.EnrollAsync(secondRequest with { TpmActivation = await _adapter.ActivateAsync(response.TpmChallenge!, Token) });

        Assert.Equal(EnrollmentDecision.Invalid, stolen.Decision);
        Assert.Contains("another enrolment", stolen.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TpmDevice_LaterRequestWithoutTpm_Refused()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;
        await client.EnrollAsync(request with { TpmActivation = await _adapter.ActivateAsync(response.TpmChallenge!, Token) });

        var bare = await client.EnrollAsync(request with { Tpm = null, TpmActivation = null });

        Assert.Equal(EnrollmentDecision.Invalid, bare.Decision);
        Assert.Contains("enrolled with a TPM", bare.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameTpmUnderNewEnrolment_ApprovedDevice_CredentialRevokedAndLiveSessionEnded()
    {
        var (client, request, response) = await OpenAsync();
        await using var _ = client;
        var activation = await _adapter.ActivateAsync(response.TpmChallenge!, Token);
        await client.EnrollAsync(request with { TpmActivation = activation });
        var device = (await _portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator, Token);
        var approved = await client.ReceiveAsync(Fleet.Shared.Messages.FleetJson.Default.EnrollmentResponse);
        var id = approved.DeviceId!;
        var (session, code) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, approved.Secret!);
        await using var __ = session;
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);

        // The agent's state is wiped: a new enrolment id proves the same TPM.
        var (fresh, freshRequest, challenge) = await OpenAsync();
        await using var ___ = fresh;
        var answer = await fresh.EnrollAsync(
            freshRequest with { TpmActivation = await _adapter.ActivateAsync(challenge.TpmChallenge!, Token) });

        Assert.Equal(EnrollmentDecision.Pending, answer.Decision);
        await Eventually.TrueAsync(() => !session.IsConnected);
        var (again, againCode) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, approved.Secret!);
        await using var ____ = again;
        Assert.NotEqual(MQTTnet.MqttClientConnectResultCode.Success, againCode);
        await _portal.Logs.WaitForAsync(e => e.Message.Contains("live session ended", StringComparison.Ordinal));
    }

    private async Task<(TestMqttClient Client, EnrollmentRequest Request, EnrollmentResponse Response)> OpenAsync(TpmEvidence? evidence = null)
    {
        var (client, code) = await TestMqttClient.ConnectBootstrapAsync(_portal.MqttPort);
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);
        var request = TestMqttClient.Request() with { Tpm = evidence ?? await _adapter.GetEvidenceAsync(Token) };
        var response = await client.EnrollAsync(request);
        Assert.NotNull(response.TpmChallenge);
        return (client, request, response);
    }
}
