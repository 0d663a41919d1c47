using System.Text;
using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Fleet.DeviceAgent.Runtime;

// Enrolment: the bootstrap connection, repeated requests, and the portal's decisions.
public sealed partial class DeviceRuntime
{
    /// <summary>How long to wait for any answer before asking again; the portal answers at once when it is up.</summary>
    private static readonly TimeSpan UnansweredRequestRetry = TimeSpan.FromSeconds(30);

    /// <summary>The floor on RetryAfterSeconds, so a misconfigured portal cannot make a fleet hammer it.</summary>
    private static readonly TimeSpan MinimumPendingRetry = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RejectedRetry = TimeSpan.FromMinutes(10);

    private async Task<AgentState> EnrollAsync(AgentState state, CancellationToken cancellationToken)
    {
        var backoff = ReconnectBackoff.Default(_random);
        var progress = new EnrollmentProgress(_time.GetUtcNow());
        if (state.ClaimCode is not null && state.ClaimCodeExpiresAt > _time.GetUtcNow())
        {
            _claimDisplay?.Show(state.ClaimCode, state.ClaimUrl, state.ClaimCodeExpiresAt);
        }

        while (true)
        {
            string? error = null;
            using (var session = NewSession())
            {
                try
                {
                    var approved = await RunBootstrapSessionAsync(session, state, progress, backoff, cancellationToken);
                    state = progress.State ?? state;
                    if (approved is not null)
                    {
                        // Saved before anything else: a crash now must not lose a credential the portal
                        // has already issued (it would have to re-issue it on the next request).
                        await _store.SaveAsync(approved, cancellationToken);
                        return approved;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await session.DisconnectQuietlyAsync();
                    throw;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    RecordConnectFailure();
                    error = Describe(ex);
                }
            }

            SetPhase(DevicePhase.Disconnected);
            var delay = backoff.Next();
            if (error is not null)
            {
                _logger.LogWarning(
                    "Enrolment connection to {Host}:{Port} failed: {Error}. Retrying in {Delay:0.0} s",
                    _options.BrokerHost,
                    _options.BrokerPort,
                    error,
                    delay.TotalSeconds);
            }

            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>Returns the approved state, or null when the connection ended without an approval.</summary>
    private async Task<AgentState?> RunBootstrapSessionAsync(
        MqttSession session,
        AgentState state,
        EnrollmentProgress progress,
        ReconnectBackoff backoff,
        CancellationToken cancellationToken)
    {
        var enrollmentId = state.EnrollmentId;
        var clientOptions = BaseClientOptions()
            .WithClientId(enrollmentId)
            .WithCredentials(Topics.BootstrapUserName, _options.BootstrapPassword)
            .WithUserProperty(
                Topics.EnrollmentKeyProperty,
                Encoding.UTF8.GetBytes(state.EnrollmentKey ?? string.Empty).AsMemory())
            .Build();
        var result = await session.ConnectAsync(clientOptions, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            RecordConnectFailure();
            var hint = result.ResultCode is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized
                ? " (check Agent:BootstrapPassword against the portal's bootstrap password)"
                : string.Empty;
            _logger.LogWarning("The broker refused the enrolment connection: {Code} {Reason}{Hint}", result.ResultCode, result.ReasonString, hint);
            return null;
        }

        backoff.Reset();
        SetPhase(progress.LastDecision switch
        {
            EnrollmentDecision.Pending => DevicePhase.Pending,
            EnrollmentDecision.Rejected => DevicePhase.Rejected,
            _ => DevicePhase.Enrolling,
        });

        var responseTopic = Topics.EnrollmentResponse(enrollmentId);
        if (!await session.SubscribeAsync(responseTopic, cancellationToken))
        {
            _logger.LogWarning("The broker refused the subscription to {Topic}; the portal's bootstrap ACL does not match this agent", responseTopic);
            await session.DisconnectQuietlyAsync();
            return null;
        }

        // A decision may have been made while disconnected and its response lost, so ask again at once,
        // unless the portal said no: then respect the long retry.
        if (progress.LastDecision is not (EnrollmentDecision.Rejected or EnrollmentDecision.Invalid))
        {
            progress.Due = _time.GetUtcNow();
        }

        while (true)
        {
            if (_time.GetUtcNow() >= progress.Due)
            {
                await SendEnrollmentRequestAsync(session, progress.State ?? state, progress, cancellationToken);
                progress.Due = _time.GetUtcNow() + UnansweredRequestRetry;
            }

            var next = await session.WaitAsync(progress.Due, cancellationToken);
            switch (next)
            {
                case ConnectionLost lost:
                    _logger.LogWarning("Lost the enrolment connection: {Reason} {Detail}", lost.Reason, lost.Detail);
                    return null;
                case MessageReceived message when message.Topic == responseTopic:
                    var approved = await HandleEnrollmentResponseAsync(session, progress.State ?? state, message, progress, cancellationToken);
                    if (approved is not null)
                    {
                        return approved;
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private async Task SendEnrollmentRequestAsync(MqttSession session, AgentState state, EnrollmentProgress progress, CancellationToken cancellationToken)
    {
        var enrollmentId = state.EnrollmentId;
        var identity = _identity.Collect();
        progress.PrimaryMac = identity.PrimaryMac;
        var (evidence, activation) = await ProveTpmAsync(progress, cancellationToken);
        var request = new EnrollmentRequest(
            Protocol.Version,
            identity.MachineId,
            identity.Hostname,
            identity.Architecture,
            identity.Kernel,
            identity.OsRelease,
            identity.Interfaces,
            AgentVersion,
            _time.GetUtcNow(),
            identity.SerialNumber,
            evidence,
            activation,
            _enrollmentToken,
            state.EnrollmentKey);
        if (!progress.AnnouncedRequest)
        {
            progress.AnnouncedRequest = true;
            _logger.LogInformation(
                "Asking the portal to enrol this device: enrolment id {EnrollmentId}, MAC {Mac}, host {Hostname}, broker {Host}:{Port}",
                enrollmentId,
                identity.PrimaryMac,
                identity.Hostname,
                _options.BrokerHost,
                _options.BrokerPort);
        }

        if (!await session.PublishAsync(Topics.EnrollmentRequest(enrollmentId), request, FleetJson.Default.EnrollmentRequest, cancellationToken))
        {
            _logger.LogWarning("The broker refused the enrolment request of {EnrollmentId}; will ask again", enrollmentId);
        }
    }

    private async Task<AgentState?> HandleEnrollmentResponseAsync(
        MqttSession session, AgentState state, MessageReceived message, EnrollmentProgress progress, CancellationToken cancellationToken)
    {
        if (!MessageJson.TryDeserialize(message.Payload, FleetJson.Default.EnrollmentResponse, out var response))
        {
            _logger.LogWarning("Ignoring an unreadable enrolment response on {Topic}", message.Topic);
            return null;
        }

        var now = _time.GetUtcNow();
        switch (response.Decision)
        {
            case EnrollmentDecision.Approved when IsUsableDeviceId(response.DeviceId) && !string.IsNullOrEmpty(response.Secret):
                _logger.LogInformation("Enrolment {EnrollmentId} approved: this is device {DeviceId}", state.EnrollmentId, response.DeviceId);
                Volatile.Write(ref _deviceId, response.DeviceId);
                await session.DisconnectQuietlyAsync();
                if (state.ClaimCode is not null)
                {
                    _claimDisplay?.Clear();
                }

                return state with { DeviceId = response.DeviceId, Secret = response.Secret, ClaimCode = null, ClaimUrl = null, ClaimCodeExpiresAt = null };
            case EnrollmentDecision.Approved:
                _logger.LogError("The portal approved enrolment {EnrollmentId} without a usable device id and secret; asking again", state.EnrollmentId);
                progress.Due = now + UnansweredRequestRetry;
                break;
            case EnrollmentDecision.Pending:
                var retry = TimeSpan.FromSeconds(Math.Max(response.RetryAfterSeconds, MinimumPendingRetry.TotalSeconds));
                progress.Due = now + retry;
                if (progress.LastDecision != EnrollmentDecision.Pending)
                {
                    _logger.LogInformation(
                        "Waiting for approval in the portal: enrolment id {EnrollmentId}, MAC {Mac}",
                        state.EnrollmentId,
                        progress.PrimaryMac);
                }

                progress.LastDecision = EnrollmentDecision.Pending;
                SetPhase(DevicePhase.Pending);
                TakeTpmChallenge(response, progress, now);
                if (!string.IsNullOrEmpty(response.ClaimCode) && response.ClaimCode.Length <= 32 && response.ClaimCode != state.ClaimCode)
                {
                    // Kept across restarts: the portal sends a code once and keeps only its hash.
                    progress.State = state with { ClaimCode = response.ClaimCode, ClaimUrl = response.ClaimUrl, ClaimCodeExpiresAt = response.ClaimCodeExpiresAt };
                    await _store.SaveAsync(progress.State, cancellationToken);
                    if (_claimDisplay is null)
                    {
                        _logger.LogInformation("Claim code {ClaimCode} (claim URL {ClaimUrl})", response.ClaimCode, response.ClaimUrl);
                    }
                    else
                    {
                        _claimDisplay.Show(response.ClaimCode, response.ClaimUrl, response.ClaimCodeExpiresAt);
                    }
                }

                break;
            case EnrollmentDecision.Rejected:
                _logger.LogWarning(
                    "The portal rejected enrolment {EnrollmentId}: {Reason}. Asking again in {Minutes} minutes",
                    state.EnrollmentId,
                    response.Reason ?? "no reason given",
                    RejectedRetry.TotalMinutes);
                progress.Due = now + RejectedRetry;
                progress.LastDecision = EnrollmentDecision.Rejected;
                SetPhase(DevicePhase.Rejected);
                break;
            case EnrollmentDecision.Invalid:
                // The request broke a rule (a field too long, a bad MAC): retrying at once would fail the
                // same way, so log what the portal said and ask again only after its delay (identity may change).
                var invalidRetry = TimeSpan.FromSeconds(Math.Max(response.RetryAfterSeconds, UnansweredRequestRetry.TotalSeconds));
                _logger.LogError(
                    "The portal refused enrolment request {EnrollmentId} as invalid: {Reason}. Asking again in {Seconds} s",
                    state.EnrollmentId,
                    response.Reason ?? "no reason given",
                    invalidRetry.TotalSeconds);
                progress.Due = now + invalidRetry;
                progress.LastDecision = EnrollmentDecision.Invalid;
                SetPhase(DevicePhase.Enrolling);
                break;
            default:
                _logger.LogWarning("Ignoring an enrolment response with unknown decision {Decision}", response.Decision);
                break;
        }

        return null;
    }

    /// <summary>The device id becomes a client id, a user name and a topic level, so it must be safe as all three.</summary>
    private static bool IsUsableDeviceId(string? deviceId) =>
        !string.IsNullOrWhiteSpace(deviceId)
        && deviceId.Length <= Protocol.MaxFieldLength
        && deviceId.IndexOfAny(['/', '+', '#', '\0']) < 0;

    /// <summary>Enrolment timing that must survive reconnects.</summary>
    private sealed class EnrollmentProgress(DateTimeOffset due)
    {
        public DateTimeOffset Due { get; set; } = due;

        public EnrollmentDecision? LastDecision { get; set; }

        public bool AnnouncedRequest { get; set; }

        public string PrimaryMac { get; set; } = string.Empty;

        /// <summary>The portal's last TPM challenge, answered in the next request.</summary>
        public TpmChallenge? Challenge { get; set; }

        /// <summary>Whether the last request carried a TPM answer (or the TPM failed): then the next waits its turn.</summary>
        public bool SentTpmAnswer { get; set; }
        /// <summary>The state as changed during enrolment (a claim code received), when it was.</summary>
        public AgentState? State { get; set; }
    }
}
