using System.Reflection;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// The whole life of one device: enrol with the bootstrap identity until approved, then stay connected
/// with the device's own credential and send heartbeats; enrol again if the credential is revoked.
/// The real agent runs one; the simulator runs thousands in one process.
/// </summary>
/// <remarks>
/// Start it with <see cref="RunAsync"/>; cancel the token to stop it. On cancellation it publishes
/// Offline, disconnects cleanly and returns (it does not throw). Watch it through <see cref="Phase"/>,
/// <see cref="PhaseChanged"/> or <see cref="WaitForPhaseAsync"/>.
/// </remarks>
public sealed partial class DeviceRuntime
{
    private static readonly string AgentVersion = TruncateVersion(
        typeof(DeviceRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0");

    private readonly IIdentityCollector _identity;
    private readonly IHealthReader _health;
    private readonly IStateStore _store;
    private readonly AgentOptions _options;
    private readonly Func<IMqttClient> _clientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly ReconnectBackoff _revocationBackoff;
    private readonly IDeviceUpdates? _updates;
    private readonly IHealthSource? _healthSource;
    private readonly HealthOutbox _healthOutbox;
    private readonly IDeviceConfig? _config;
    private readonly Tpm.ITpmAttestor? _tpm;
    private readonly IClaimCodeDisplay? _claimDisplay;
    private readonly string? _enrollmentToken;
    private AgentState? _rotated;
    private AgentState? _enrolledState;

    private int _phase = (int)DevicePhase.Disconnected;
    private int _started;
    private string? _deviceId;
    private string? _enrollmentId;
    private long _heartbeatsSent;
    private long _connectFailures;
    private long _heartbeatIntervalTicks;
    private long _healthReportsSent;
    private long _healthIntervalTicks;
    private TaskCompletionSource _healthIntervalChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="identity">Who the device is (read anew for every enrolment request).</param>
    /// <param name="health">Uptime and load for heartbeats.</param>
    /// <param name="store">Where the enrolment id and credential are kept.</param>
    /// <param name="options">Broker address, bootstrap password, timeouts; HostRoot and StateDirectory are not used here.</param>
    /// <param name="clientFactory">Creates a fresh MQTT client per connection attempt, e.g. <c>new MqttClientFactory().CreateMqttClient</c>.</param>
    /// <param name="time">Clock for heartbeats, retries and back-off.</param>
    /// <param name="logger">Where state transitions are logged.</param>
    /// <param name="random">Jitter source for back-off; <see cref="Random.Shared"/> when null.</param>
    /// <param name="updates">The OS update side: receives the update policy, supplies deployment reports. Null (simulated devices): neither.</param>
    /// <param name="healthSource">
    /// Samples health every <see cref="HealthInterval"/>, connected or not. Null: none.
    /// </param>
    /// <param name="config">The live config side: receives the desired config, supplies config reports. Null: neither.</param>
    /// <param name="tpm">The TPM that proves the device's identity in enrolment; null: enrol without one.</param>
    /// <param name="claimDisplay">Where a claim code is shown while pending (console banner and log); null: only logged.</param>
    /// <param name="healthOutbox">
    /// Where health reports wait until the broker acknowledges them; null: in memory.
    /// </param>
    public DeviceRuntime(
        IIdentityCollector identity,
        IHealthReader health,
        IStateStore store,
        AgentOptions options,
        Func<IMqttClient> clientFactory,
        TimeProvider time,
        ILogger logger,
        Random? random = null,
        IDeviceUpdates? updates = null,
        IHealthSource? healthSource = null,
        IDeviceConfig? config = null,
        Tpm.ITpmAttestor? tpm = null,
        IClaimCodeDisplay? claimDisplay = null,
        HealthOutbox? healthOutbox = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _identity = identity;
        _health = health;
        _store = store;
        _options = options;
        _clientFactory = clientFactory;
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared;
        _updates = updates;
        _healthSource = healthSource;
        _healthOutbox = healthOutbox ?? new HealthOutbox(null, new HealthAgentOptions(), time, logger);
        _config = config;
        _tpm = tpm;
        _claimDisplay = claimDisplay;
        _enrollmentToken = EnrollmentTokenSource.Resolve(options, logger);
        _revocationBackoff = ReconnectBackoff.Default(_random);
        HeartbeatInterval = TimeSpan.FromSeconds(options.HeartbeatIntervalOverrideSeconds ?? Protocol.DefaultHeartbeatIntervalSeconds);
        HealthInterval = TimeSpan.FromSeconds(options.HealthIntervalOverrideSeconds ?? DefaultHealthIntervalSeconds);
    }

    /// <summary>Raised on the device loop whenever <see cref="Phase"/> changes; handlers must be quick and must not throw.</summary>
    public event EventHandler<DevicePhase>? PhaseChanged;

    public DevicePhase Phase => (DevicePhase)Volatile.Read(ref _phase);

    /// <summary>The device id once approved (also while disconnected); null while enrolling.</summary>
    public string? DeviceId => Volatile.Read(ref _deviceId);

    /// <summary>The enrolment id (bootstrap client id) once the state is loaded.</summary>
    public string? EnrollmentId => Volatile.Read(ref _enrollmentId);

    /// <summary>Heartbeats the broker acknowledged since start; also the last heartbeat's sequence number.</summary>
    public long HeartbeatsSent => Interlocked.Read(ref _heartbeatsSent);

    /// <summary>Connections that could not be made or broke with an error (unreachable broker, refused connect, timeouts) since start.</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>The heartbeat interval in force: the override, the portal's setting, or the protocol default.</summary>
    public TimeSpan HeartbeatInterval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _heartbeatIntervalTicks));
        private set => Interlocked.Exchange(ref _heartbeatIntervalTicks, value.Ticks);
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, then goes offline cleanly and returns. Call once.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A DeviceRuntime runs once; create another for another run.");
        }

        try
        {
            var state = await LoadOrCreateStateAsync(cancellationToken);
            while (true)
            {
                if (!state.IsEnrolled)
                {
                    state = await EnrollAsync(state, cancellationToken);
                }

                await RunEnrolledAsync(state, cancellationToken);

                // RunEnrolledAsync returns only when the broker refused the credential.
                _logger.LogWarning(
                    "The broker refused the credential of device {DeviceId}: it was revoked or re-issued by the portal. Deleting it and asking to be enrolled again as {EnrollmentId}",
                    state.DeviceId,
                    state.EnrollmentId);
                state = state.WithoutCredential();
                await _store.SaveAsync(state, cancellationToken);
                Volatile.Write(ref _deviceId, null);
                SetPhase(DevicePhase.Disconnected);

                // Grows if the portal keeps approving a credential the broker then refuses.
                await Task.Delay(_revocationBackoff.Next(), _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }
        finally
        {
            SetPhase(DevicePhase.Stopped);
        }
    }

    /// <summary>Completes when <see cref="Phase"/> is <paramref name="phase"/> (immediately if it already is).</summary>
    public async Task WaitForPhaseAsync(DevicePhase phase, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, DevicePhase current)
        {
            if (current == phase)
            {
                reached.TrySetResult();
            }
        }

        PhaseChanged += OnChanged;
        try
        {
            if (Phase == phase)
            {
                return;
            }

            await reached.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            PhaseChanged -= OnChanged;
        }
    }

    private async Task<AgentState> LoadOrCreateStateAsync(CancellationToken cancellationToken)
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

        Volatile.Write(ref _enrollmentId, state.EnrollmentId);
        Volatile.Write(ref _deviceId, state.IsEnrolled ? state.DeviceId : null);
        if (state.IsEnrolled)
        {
            _logger.LogInformation("Enrolled as device {DeviceId} (enrolment id {EnrollmentId})", state.DeviceId, state.EnrollmentId);
        }
        else
        {
            _logger.LogInformation("Not enrolled yet; enrolment id {EnrollmentId}", state.EnrollmentId);
        }

        return state;
    }

    private MqttSession NewSession() =>
        new(
            _clientFactory(),
            _time,
            TimeSpan.FromSeconds(_options.TimeoutSeconds),
            TimeSpan.FromSeconds(_options.AcknowledgementTimeoutSeconds));

    private MqttClientOptionsBuilder BaseClientOptions() => new MqttClientOptionsBuilder()
        .WithTcpServer(_options.BrokerHost, _options.BrokerPort)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithKeepAlivePeriod(TimeSpan.FromSeconds(_options.KeepAliveSeconds))
        .WithTimeout(TimeSpan.FromSeconds(_options.TimeoutSeconds))
        .WithCleanStart(true);

    /// <summary>MQTTnet wraps socket errors; the inner message ("Connection refused") is the useful part.</summary>
    private static string Describe(Exception exception) =>
        exception.InnerException is null ? exception.Message : $"{exception.Message} ({exception.GetBaseException().Message})";

    private void RecordConnectFailure() => Interlocked.Increment(ref _connectFailures);

    private void SetPhase(DevicePhase phase)
    {
        var previous = (DevicePhase)Interlocked.Exchange(ref _phase, (int)phase);
        if (previous != phase)
        {
            _logger.LogDebug("Phase {Previous} -> {Phase}", previous, phase);
            PhaseChanged?.Invoke(this, phase);
        }
    }

    private static string TruncateVersion(string version) =>
        version.Length <= Protocol.MaxAgentVersionLength ? version : version[..Protocol.MaxAgentVersionLength];
}
