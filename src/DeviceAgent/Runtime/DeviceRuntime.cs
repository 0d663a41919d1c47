using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// The connection loop of one device: enrol with the bootstrap identity until approved (<see
/// cref="DeviceEnrollment"/>),
/// then stay connected with the device's own credential, running its modules; enrol again if the credential is
/// revoked. The real agent runs one; the simulator runs thousands in one process.
/// </summary>
/// <remarks>
/// Start it with <see cref="RunAsync"/>; cancel the token to stop it. On cancellation it publishes
/// Offline, disconnects cleanly and returns (it does not throw). Watch it through <see cref="Phase"/>,
/// <see cref="PhaseChanged"/> or <see cref="WaitForPhaseAsync"/>.
/// </remarks>
public sealed class DeviceRuntime
{
    private readonly BrokerAccess _broker;
    private readonly DeviceEnrollment _enrollment;
    private readonly IDeviceModule[] _modules;
    private readonly IStateStore _store;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _revocationBackoff;
    private readonly OnlineLoop _online;

    private int _phase = (int)DevicePhase.Disconnected;
    private int _started;
    private string? _deviceId;
    private string? _enrollmentId;
    private long _connectFailures;

    /// <param name="broker">How to reach the broker.</param>
    /// <param name="enrollment">The phase before online: asks the portal until it approves.</param>
    /// <param name="modules">The concerns of the enrolled device, in the order they subscribe and publish.</param>
    /// <param name="store">Where the enrolment id and credential are kept.</param>
    /// <param name="logger">Where state transitions are logged.</param>
    public DeviceRuntime(
        BrokerAccess broker,
        DeviceEnrollment enrollment,
        IEnumerable<IDeviceModule> modules,
        IStateStore store,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(enrollment);
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        _broker = broker;
        _enrollment = enrollment;
        _modules = [.. modules];
        _store = store;
        _logger = logger;
        _revocationBackoff = broker.NewBackoff();
        _online = new OnlineLoop(this, broker, _modules, logger);
    }

    /// <summary>
    /// A device that enrols with <paramref name="identity"/>, sends heartbeats and accepts credential rotations:
    /// what a simulated device without health reports runs.
    /// </summary>
    public DeviceRuntime(
        IIdentityCollector identity,
        IHealthReader health,
        IStateStore store,
        AgentOptions options,
        Func<IMqttClient> clientFactory,
        TimeProvider time,
        ILogger logger)
        : this(new BrokerAccess(options, clientFactory, time), identity, health, store, logger, [])
    {
    }

    /// <summary>
    /// Enrols with <paramref name="identity"/>; heartbeats, credential rotation, then <paramref name="more"/>.
    /// </summary>
    internal DeviceRuntime(
        BrokerAccess broker,
        IIdentityCollector identity,
        IHealthReader health,
        IStateStore store,
        ILogger logger,
        IEnumerable<IDeviceModule> more)
        : this(
            broker,
            new DeviceEnrollment(broker, identity, store, new LoggedClaimCode(logger), [], logger),
            [new HeartbeatModule(health, broker.Options, logger), new CredentialRotationModule(store, logger), .. more],
            store,
            logger)
    {
    }

    /// <summary>
    /// Raised on the device loop whenever <see cref="Phase"/> changes; handlers must be quick and must not throw.
    /// </summary>
    public event EventHandler<DevicePhase>? PhaseChanged;

    public DevicePhase Phase => (DevicePhase)Volatile.Read(ref _phase);

    /// <summary>The device id once approved (also while disconnected); null while enrolling.</summary>
    public string? DeviceId => Volatile.Read(ref _deviceId);

    /// <summary>The enrolment id (bootstrap client id) once the state is loaded.</summary>
    public string? EnrollmentId => Volatile.Read(ref _enrollmentId);

    /// <summary>
    /// Connections that could not be made or broke with an error (unreachable broker, refused connect, timeouts) since
    /// start.
    /// </summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>The modules of the enrolled device, in order.</summary>
    public IReadOnlyList<IDeviceModule> Modules => _modules;

    /// <summary>The module of type <typeparamref name="T"/>, or null when it is not registered.</summary>
    public T? Module<T>()
        where T : class, IDeviceModule
    {
        foreach (var module in _modules)
        {
            if (module is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, then goes offline cleanly and returns. Call once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A DeviceRuntime runs once; create another for another run.");
        }

        try
        {
            var state = await _enrollment.LoadOrCreateStateAsync(cancellationToken);
            Volatile.Write(ref _enrollmentId, state.EnrollmentId);
            Volatile.Write(ref _deviceId, state.IsEnrolled ? state.DeviceId : null);
            while (true)
            {
                if (!state.IsEnrolled)
                {
                    state = await _enrollment.EnrollAsync(state, this, cancellationToken);
                }

                await RunEnrolledAsync(state, cancellationToken);

                // RunEnrolledAsync returns only when the broker refused the credential.
                _logger.LogWarning(
                    "The broker refused the credential of device {DeviceId}: it was revoked or re-issued by the "
                    + "portal. Deleting it and asking to be enrolled again as {EnrollmentId}",
                    state.DeviceId,
                    state.EnrollmentId);
                state = state.WithoutCredential();
                await _store.SaveAsync(state, cancellationToken);
                Volatile.Write(ref _deviceId, null);
                SetPhase(DevicePhase.Disconnected);

                // Grows if the portal keeps approving a credential the broker then refuses.
                await Task.Delay(_revocationBackoff.Next(), _broker.Time, cancellationToken);
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

    /// <summary>
    /// Completes when <see cref="Phase"/> is <paramref name="phase"/> (immediately if it already is).
    /// </summary>
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

    /// <summary>A device connection succeeded: the next revocation starts the back-off afresh.</summary>
    internal void Connected() => _revocationBackoff.Reset();

    internal void RecordConnectFailure() => Interlocked.Increment(ref _connectFailures);

    internal void Approved(string deviceId) => Volatile.Write(ref _deviceId, deviceId);

    internal void SetPhase(DevicePhase phase)
    {
        var previous = (DevicePhase)Interlocked.Exchange(ref _phase, (int)phase);
        if (previous != phase)
        {
            _logger.LogDebug("Phase {Previous} -> {Phase}", previous, phase);
            PhaseChanged?.Invoke(this, phase);
        }
    }

    /// <summary>
    /// Stays connected (reconnecting with back-off) until the broker refuses the credential, then returns. The
    /// modules' enrolled work (health sampling) runs all that time, so reports made while the portal is unreachable
    /// wait in their queue.
    /// </summary>
    private async Task RunEnrolledAsync(AgentState state, CancellationToken cancellationToken)
    {
        using var enrolled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        List<Task>? running = null;
        foreach (var module in _modules)
        {
            var work = module.RunWhileEnrolledAsync(state.DeviceId!, enrolled.Token);
            if (!work.IsCompleted)
            {
                (running ??= []).Add(work);
            }
        }

        try
        {
            await StayConnectedAsync(state, cancellationToken);
        }
        finally
        {
            await enrolled.CancelAsync();
            if (running is not null)
            {
                await Task.WhenAll(running);
            }
        }
    }

    private async Task StayConnectedAsync(AgentState state, CancellationToken cancellationToken)
    {
        var deviceId = state.DeviceId!;
        var backoff = _broker.NewBackoff();
        while (true)
        {
            string? error = null;
            using (var session = new DeviceSession(
                _broker.NewSession(), state, TimeSpan.FromSeconds(_broker.Options.TimeoutSeconds), _logger))
            {
                try
                {
                    if (await _online.RunAsync(session, backoff, cancellationToken))
                    {
                        return;
                    }

                    if (session.ReconnectState is { } rotated)
                    {
                        // Reconnect at once with the new secret: that connection is what makes it the only one.
                        state = rotated;
                        continue;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await session.GoOfflineAsync();
                    throw;
                }
                catch (Exception ex)
                    when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (Phase != DevicePhase.Connected)
                    {
                        RecordConnectFailure();
                    }

                    error = BrokerAccess.Describe(ex);
                }
            }

            SetPhase(DevicePhase.Disconnected);
            var delay = backoff.Next();
            if (error is not null)
            {
                _logger.LogWarning(
                    "Connection of device {DeviceId} to {Host}:{Port} failed: {Error}. Retrying in {Delay:0.0} s",
                    deviceId,
                    _broker.Options.BrokerHost,
                    _broker.Options.BrokerPort,
                    error,
                    delay.TotalSeconds);
            }
            else
            {
                _logger.LogInformation("Device {DeviceId} reconnects in {Delay:0.0} s", deviceId, delay.TotalSeconds);
            }

            await Task.Delay(delay, _broker.Time, cancellationToken);
        }
    }
}
