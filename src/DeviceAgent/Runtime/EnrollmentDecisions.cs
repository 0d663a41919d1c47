using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// What the device does with the portal's answers to its enrolment requests: when to ask again, the phase, the
/// claim code (kept and shown) and the TPM challenge.
/// </summary>
internal sealed class EnrollmentDecisions(
    IStateStore store,
    IClaimCodeDisplay claimDisplay,
    IEnrollmentAttestation[] attestation,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>
    /// How long to wait for any answer before asking again; the portal answers at once when it is up.
    /// </summary>
    internal static readonly TimeSpan UnansweredRequestRetry = TimeSpan.FromSeconds(30);

    /// <summary>The floor on RetryAfterSeconds, so a misconfigured portal cannot make a fleet hammer it.</summary>
    private static readonly TimeSpan MinimumPendingRetry = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RejectedRetry = TimeSpan.FromMinutes(10);

    /// <summary>An enrolment begins: show a claim code still valid, forget any TPM challenge.</summary>
    public void Begin(AgentState state)
    {
        foreach (var proof in attestation)
        {
            proof.Begin();
        }

        if (state.ClaimCode is not null && state.ClaimCodeExpiresAt > time.GetUtcNow())
        {
            claimDisplay.Show(state.ClaimCode, state.ClaimUrl, state.ClaimCodeExpiresAt);
        }
    }

    /// <summary>The approved state (not yet saved), or null while the portal has not approved.</summary>
    public async Task<AgentState?> HandleAsync(
        MessageReceived message,
        EnrollmentProgress progress,
        DeviceRuntime runtime,
        CancellationToken cancellationToken)
    {
        if (!MessageJson.TryDeserialize(message.Payload, FleetJson.Default.EnrollmentResponse, out var response))
        {
            logger.LogWarning("Ignoring an unreadable enrolment response on {Topic}", message.Topic);
            return null;
        }

        var state = progress.State;
        var now = time.GetUtcNow();
        switch (response.Decision)
        {
            case EnrollmentDecision.Approved
                when IsUsableDeviceId(response.DeviceId) && !string.IsNullOrEmpty(response.Secret):
                logger.LogInformation(
                    "Enrolment {EnrollmentId} approved: this is device {DeviceId}",
                    state.EnrollmentId,
                    response.DeviceId);
                if (state.ClaimCode is not null)
                {
                    claimDisplay.Clear();
                }

                if (string.IsNullOrEmpty(response.AgentSigningKey))
                {
                    logger.LogWarning(
                        "The portal sent no agent signing key with the approval: this agent will refuse every agent "
                        + "update until it is enrolled again by a portal that signs its builds");
                }

                return state with
                {
                    DeviceId = response.DeviceId,
                    Secret = response.Secret,
                    ClaimCode = null,
                    ClaimUrl = null,
                    ClaimCodeExpiresAt = null,
                    AgentSigningKey = response.AgentSigningKey,
                    ClientCertificate = IssuedCertificate(response.Certificate, state.ClientKey),
                };
            case EnrollmentDecision.Approved:
                logger.LogError(
                    "The portal approved enrolment {EnrollmentId} without a usable device id and secret; asking again",
                    state.EnrollmentId);
                progress.Due = now + UnansweredRequestRetry;
                break;
            case EnrollmentDecision.Pending:
                await PendingAsync(response, progress, runtime, now, cancellationToken);
                break;
            case EnrollmentDecision.Rejected:
                logger.LogWarning(
                    "The portal rejected enrolment {EnrollmentId}: {Reason}. Asking again in {Minutes} minutes",
                    state.EnrollmentId,
                    response.Reason ?? "no reason given",
                    RejectedRetry.TotalMinutes);
                progress.Due = now + RejectedRetry;
                progress.LastDecision = EnrollmentDecision.Rejected;
                runtime.SetPhase(DevicePhase.Rejected);
                break;
            case EnrollmentDecision.Invalid:
                // The request broke a rule (a field too long, a bad MAC): retrying at once would fail the
                // same way, so log what the portal said and ask again only after its delay (identity may change).
                var invalidRetry = TimeSpan.FromSeconds(Math.Max(
                    response.RetryAfterSeconds,
                    UnansweredRequestRetry.TotalSeconds));
                logger.LogError(
                    "The portal refused enrolment request {EnrollmentId} as invalid: {Reason}. "
                    + "Asking again in {Seconds} s",
                    state.EnrollmentId,
                    response.Reason ?? "no reason given",
                    invalidRetry.TotalSeconds);
                progress.Due = now + invalidRetry;
                progress.LastDecision = EnrollmentDecision.Invalid;
                runtime.SetPhase(DevicePhase.Enrolling);
                break;
            default:
                logger.LogWarning("Ignoring an enrolment response with unknown decision {Decision}", response.Decision);
                break;
        }

        return null;
    }

    private async Task PendingAsync(
        EnrollmentResponse response,
        EnrollmentProgress progress,
        DeviceRuntime runtime,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var state = progress.State;
        var retry = TimeSpan.FromSeconds(Math.Max(response.RetryAfterSeconds, MinimumPendingRetry.TotalSeconds));
        progress.Due = now + retry;
        if (progress.LastDecision != EnrollmentDecision.Pending)
        {
            logger.LogInformation(
                "Waiting for approval in the portal: enrolment id {EnrollmentId}, MAC {Mac}",
                state.EnrollmentId,
                progress.PrimaryMac);
        }

        progress.LastDecision = EnrollmentDecision.Pending;
        runtime.SetPhase(DevicePhase.Pending);
        foreach (var proof in attestation)
        {
            if (proof.TakeChallenge(response))
            {
                progress.Due = now;
            }
        }

        if (!string.IsNullOrEmpty(response.ClaimCode) && response.ClaimCode.Length <= 32
            && response.ClaimCode != state.ClaimCode)
        {
            // Kept across restarts: the portal sends a code once and keeps only its hash.
            progress.State = state with
            {
                ClaimCode = response.ClaimCode,
                ClaimUrl = response.ClaimUrl,
                ClaimCodeExpiresAt = response.ClaimCodeExpiresAt,
            };
            await store.SaveAsync(progress.State, cancellationToken);
            claimDisplay.Show(response.ClaimCode, response.ClaimUrl, response.ClaimCodeExpiresAt);
        }
    }

    /// <summary>
    /// The device id becomes a client id, a user name and a topic level, so it must be safe as all three.
    /// </summary>
    private static bool IsUsableDeviceId(string? deviceId) =>
        !string.IsNullOrWhiteSpace(deviceId)
        && deviceId.Length <= Protocol.MaxFieldLength
        && deviceId.IndexOfAny(['/', '+', '#', '\0']) < 0;

    /// <summary>The certificate the portal answered, if it certifies this agent's key; else none (logged).</summary>
    private string? IssuedCertificate(string? certificate, string? key)
    {
        if (certificate is null || key is null)
        {
            return null;
        }

        if (DeviceCertificate.Certifies(certificate, key))
        {
            return certificate;
        }

        logger.LogWarning("The portal's client certificate is not for this agent's key; connecting with the password");
        return null;
    }
}
