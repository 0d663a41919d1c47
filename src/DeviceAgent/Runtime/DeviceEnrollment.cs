using System.Text;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// The phase before online: connect with the bootstrap identity, ask the portal to enrol this device (with TPM proof
/// when an attestation is registered), show a claim code while pending, and return the approved credential.
/// </summary>
public sealed class DeviceEnrollment
{
    private readonly BrokerAccess _broker;
    private readonly IIdentityCollector _identity;
    private readonly IStateStore _store;
    private readonly IEnrollmentAttestation[] _attestation;
    private readonly EnrollmentDecisions _decisions;
    private readonly ILogger _logger;
    private readonly string? _enrollmentToken;

    /// <param name="broker">How to reach the broker (with the bootstrap password).</param>
    /// <param name="identity">Who the device is (read anew for every enrolment request).</param>
    /// <param name="store">Where the enrolment id, claim code and credential are kept.</param>
    /// <param name="claimDisplay">Where a claim code is shown while pending.</param>
    /// <param name="attestation">The TPM proof, when the device has one; at most one (a request carries one).</param>
    /// <param name="logger">Where enrolment progress is logged.</param>
    public DeviceEnrollment(
        BrokerAccess broker,
        IIdentityCollector identity,
        IStateStore store,
        IClaimCodeDisplay claimDisplay,
        IEnumerable<IEnrollmentAttestation> attestation,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(claimDisplay);
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(logger);
        _broker = broker;
        _identity = identity;
        _store = store;
        _attestation = [.. attestation];
        if (_attestation.Length > 1)
        {
            throw new ArgumentException("An enrolment request carries the proof of one TPM.", nameof(attestation));
        }

        _logger = logger;
        _decisions = new EnrollmentDecisions(store, claimDisplay, _attestation, broker.Time, logger);
        _enrollmentToken = EnrollmentTokenSource.Resolve(broker.Options, logger);
    }

    /// <summary>The stored state, or a new enrolment id and key (saved) when there is none.</summary>
    internal async Task<AgentState> LoadOrCreateStateAsync(CancellationToken cancellationToken)
    {
        var state = await _store.LoadAsync(cancellationToken);
        if (state is null || !EnrollmentIds.IsValid(state.EnrollmentId))
        {
            state = new AgentState(EnrollmentIds.NewRandom(), EnrollmentKey: EnrollmentIds.NewKey());
            await _store.SaveAsync(state, cancellationToken);
        }
        else if (string.IsNullOrEmpty(state.EnrollmentKey))
        {
            // State from an agent that predates enrolment keys: the portal binds the first key it sees.
            state = state with { EnrollmentKey = EnrollmentIds.NewKey() };
            await _store.SaveAsync(state, cancellationToken);
        }

        if (_broker.Trust is not null && string.IsNullOrEmpty(state.ClientKey))
        {
            // Its TLS key, made once and kept: the certificate request of every enrolment request is for it.
            state = state with { ClientKey = DeviceCertificate.NewKey() };
            await _store.SaveAsync(state, cancellationToken);
        }

        if (state.IsEnrolled)
        {
            _logger.LogInformation(
                "Enrolled as device {DeviceId} (enrolment id {EnrollmentId})",
                state.DeviceId,
                state.EnrollmentId);
        }
        else
        {
            _logger.LogInformation("Not enrolled yet; enrolment id {EnrollmentId}", state.EnrollmentId);
        }

        return state;
    }

    /// <summary>
    /// Asks until the portal approves (reconnecting with back-off); returns the approved state, saved.
    /// </summary>
    internal async Task<AgentState> EnrollAsync(
        AgentState state,
        DeviceRuntime runtime,
        CancellationToken cancellationToken)
    {
        var backoff = _broker.NewBackoff();
        var progress = new EnrollmentProgress(state, _broker.Time.GetUtcNow());
        _decisions.Begin(state);
        while (true)
        {
            string? error = null;
            using (var session = _broker.NewSession())
            {
                try
                {
                    var approved = await RunBootstrapSessionAsync(
                        session,
                        progress,
                        runtime,
                        backoff,
                        cancellationToken);
                    if (approved is not null)
                    {
                        // Saved before anything else: a crash now must not lose a credential the portal
                        // has already issued (it would have to re-issue it on the next request).
                        await _store.SaveAsync(approved, cancellationToken);
                        runtime.Approved(approved.DeviceId!);
                        return approved;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await session.DisconnectQuietlyAsync();
                    throw;
                }
                catch (Exception ex)
                    when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    runtime.RecordConnectFailure();
                    error = BrokerAccess.Describe(ex);
                }
            }

            runtime.SetPhase(DevicePhase.Disconnected);
            var delay = backoff.Next();
            if (error is not null)
            {
                _logger.LogWarning(
                    "Enrolment connection to {Host}:{Port} failed: {Error}. Retrying in {Delay:0.0} s",
                    _broker.Options.BrokerHost,
                    _broker.Options.BrokerPort,
                    error,
                    delay.TotalSeconds);
            }

            await Task.Delay(delay, _broker.Time, cancellationToken);
        }
    }

    /// <summary>Returns the approved state, or null when the connection ended without an approval.</summary>
    private async Task<AgentState?> RunBootstrapSessionAsync(
        MqttSession session,
        EnrollmentProgress progress,
        DeviceRuntime runtime,
        ReconnectBackoff backoff,
        CancellationToken cancellationToken)
    {
        var enrollmentId = progress.State.EnrollmentId;
        var clientOptions = _broker.ClientOptions()
            .WithClientId(enrollmentId)
            .WithCredentials(Topics.BootstrapUserName, _broker.Options.BootstrapPassword)
            .WithUserProperty(
                Topics.EnrollmentKeyProperty,
                Encoding.UTF8.GetBytes(progress.State.EnrollmentKey ?? string.Empty).AsMemory())
            .Build();
        var result = await session.ConnectAsync(clientOptions, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            runtime.RecordConnectFailure();
            var hint = result.ResultCode
                is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized
                ? " (check Agent:BootstrapPassword against the portal's bootstrap password)"
                : string.Empty;
            _logger.LogWarning(
                "The broker refused the enrolment connection: {Code} {Reason}{Hint}",
                result.ResultCode,
                result.ReasonString,
                hint);
            return null;
        }

        backoff.Reset();
        runtime.SetPhase(progress.LastDecision switch
        {
            EnrollmentDecision.Pending => DevicePhase.Pending,
            EnrollmentDecision.Rejected => DevicePhase.Rejected,
            _ => DevicePhase.Enrolling,
        });

        var responseTopic = Topics.EnrollmentResponse(enrollmentId);
        if (!await session.SubscribeAsync(responseTopic, cancellationToken))
        {
            _logger.LogWarning(
                "The broker refused the subscription to {Topic}; the portal's bootstrap ACL does not match this agent",
                responseTopic);
            await session.DisconnectQuietlyAsync();
            return null;
        }

        // A decision may have been made while disconnected and its response lost, so ask again at once,
        // unless the portal said no: then respect the long retry.
        if (progress.LastDecision is not (EnrollmentDecision.Rejected or EnrollmentDecision.Invalid))
        {
            progress.Due = _broker.Time.GetUtcNow();
        }

        while (true)
        {
            if (_broker.Time.GetUtcNow() >= progress.Due)
            {
                await SendEnrollmentRequestAsync(session, progress, cancellationToken);
                progress.Due = _broker.Time.GetUtcNow() + EnrollmentDecisions.UnansweredRequestRetry;
            }

            var next = await session.WaitAsync(progress.Due, cancellationToken);
            switch (next)
            {
                case ConnectionLost lost:
                    _logger.LogWarning("Lost the enrolment connection: {Reason} {Detail}", lost.Reason, lost.Detail);
                    return null;
                case MessageReceived message when message.Topic == responseTopic:
                    var approved = await _decisions.HandleAsync(message, progress, runtime, cancellationToken);
                    if (approved is not null)
                    {
                        await session.DisconnectQuietlyAsync();
                        return approved;
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private async Task SendEnrollmentRequestAsync(
        MqttSession session,
        EnrollmentProgress progress,
        CancellationToken cancellationToken)
    {
        var state = progress.State;
        var enrollmentId = state.EnrollmentId;
        var identity = _identity.Collect();
        progress.PrimaryMac = identity.PrimaryMac;
        TpmEvidence? evidence = null;
        TpmActivation? activation = null;
        foreach (var attestation in _attestation)
        {
            (evidence, activation) = await attestation.ProveAsync(cancellationToken);
        }

        var request = new EnrollmentRequest(
            Protocol.Version,
            identity.MachineId,
            identity.Hostname,
            identity.Architecture,
            identity.Kernel,
            identity.OsRelease,
            identity.Interfaces,
            AgentVersion.Current,
            _broker.Time.GetUtcNow(),
            identity.SerialNumber,
            evidence,
            activation,
            _enrollmentToken,
            state.EnrollmentKey,
            progress.CertificateRequest ??= state.ClientKey is { } key
                ? DeviceCertificate.Request(key, enrollmentId)
                : null);
        if (!progress.AnnouncedRequest)
        {
            progress.AnnouncedRequest = true;
            _logger.LogInformation(
                "Asking the portal to enrol this device: enrolment id {EnrollmentId}, MAC {Mac}, host {Hostname}, "
                + "broker {Host}:{Port}",
                enrollmentId,
                identity.PrimaryMac,
                identity.Hostname,
                _broker.Options.BrokerHost,
                _broker.Options.BrokerPort);
        }

        if (!await session.PublishAsync(
            Topics.EnrollmentRequest(enrollmentId),
            request,
            FleetJson.Default.EnrollmentRequest,
            cancellationToken))
        {
            _logger.LogWarning(
                "The broker refused the enrolment request of {EnrollmentId}; will ask again",
                enrollmentId);
        }
    }
}
