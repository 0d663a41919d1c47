using System.Threading.Channels;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Updates;

/// <summary>
/// The update side of the agent: one loop that observes the deployments, applies the portal's policy
/// (Zincati's drop-in, or the <see cref="UpdateDriver"/> on hosts without Zincati), runs rollback
/// commands and keeps the reports the device loop publishes. It runs every
/// <see cref="UpdateAgentOptions.CheckIntervalMinutes"/>, and at once on a new policy or a connect.
/// </summary>
public sealed class UpdateCoordinator(
    DeploymentObserver observer,
    ZincatiConfigWriter zincati,
    UpdateDriver driver,
    ISystemReboot reboot,
    IServiceManager services,
    IUpdateStateStore store,
    IOptions<UpdateAgentOptions> options,
    TimeProvider time,
    ILogger<UpdateCoordinator> logger) : IDeviceUpdates
{
    /// <summary>How long a reboot waits for its "rebooting" report to reach the portal.</summary>
    public static readonly TimeSpan ReportBeforeReboot = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Channel<bool> _pokes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> _deliveries = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<UpdateEvent> _outbox = [];
    private UpdatePolicy? _incomingPolicy;
    private UpdateState? _state;
    private DeploymentReport? _snapshot;
    private DeploymentReport? _lastDelivered;
    private DateTimeOffset _lastDeliveredAt = DateTimeOffset.MinValue;
    private bool _connectReport;
    private bool _warnedNoNodeId;
    private (UpdateAction Action, string CommandId, TaskCompletionSource<UpdateActionResult> Done)? _request;

    public event EventHandler? ReportReady;

    private TimeSpan CheckInterval => TimeSpan.FromMinutes(options.Value.CheckIntervalMinutes);

    private TimeSpan ReportInterval => TimeSpan.FromMinutes(options.Value.ReportIntervalMinutes);

    public void OnConnected()
    {
        lock (_gate)
        {
            _connectReport = true;
        }

        _pokes.Writer.TryWrite(true);
    }

    public void OnPolicy(UpdatePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Volatile.Write(ref _incomingPolicy, policy);
        _pokes.Writer.TryWrite(true);
    }

    public Task<UpdateActionResult> RequestAsync(
        UpdateAction action, string commandId, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<UpdateActionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_request is not null)
            {
                return Task.FromResult(new UpdateActionResult(false, "Another update command is being handled."));
            }

            _request = (action, commandId, done);
        }

        _pokes.Writer.TryWrite(true);
        return done.Task.WaitAsync(cancellationToken);
    }

    public DeploymentReport? NextReport()
    {
        lock (_gate)
        {
            if (_snapshot is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (_outbox.Count > 0)
            {
                return _snapshot with { SentAt = now, Event = _outbox[0] };
            }

            var due = _connectReport || !SameContent(_snapshot, _lastDelivered) || now - _lastDeliveredAt >= ReportInterval;
            return due ? _snapshot with { SentAt = now } : null;
        }
    }

    public void Delivered(DeploymentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            _connectReport = false;
            _lastDelivered = report with { Event = null };
            _lastDeliveredAt = time.GetUtcNow();
            if (report.Event is { } delivered)
            {
                _outbox.RemoveAll(e => e.Id == delivered.Id);
            }
        }

        _deliveries.Writer.TryWrite(true);
        if (report.Event is not null)
        {
            _pokes.Writer.TryWrite(true); // persist the shorter outbox
        }
    }

    /// <summary>Runs until cancelled; a failing cycle is logged and the next one runs on time.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await CycleAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Update cycle failed; the next one runs in {Minutes} minutes", Interval.TotalMinutes);
            }

            if (!await WaitAsync(_pokes.Reader, Interval, cancellationToken))
            {
                return;
            }
        }
    }

    private TimeSpan Interval => CheckInterval < ReportInterval ? CheckInterval : ReportInterval;

    /// <summary>One pass: observe, act on the policy, queue reports, save, and reboot if a step asked to.</summary>
    internal async Task CycleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_state is null)
        {
            _state = await store.LoadAsync(cancellationToken);
            lock (_gate)
            {
                _outbox.AddRange(_state.Outbox);
            }
        }

        var (state, policyChanged) = TakePolicy(_state);
        (UpdateAction Action, string CommandId, TaskCompletionSource<UpdateActionResult> Done)? request;
        lock (_gate)
        {
            request = _request;
            _request = null;
        }

        string? unanswered = null;
        var (observation, observed, inferred) = await observer.ObserveAsync(state, now, cancellationToken);
        state = observed;
        var events = new List<UpdateEvent>(inferred);
        var rebootNow = false;
        if (options.Value.Enabled && state.Policy is not null && observation.Booted is not null && observation.NodeUuid is null && !_warnedNoNodeId)
        {
            _warnedNoNodeId = true;
            logger.LogWarning("/etc/machine-id is unreadable, so there is no node id for Cincinnati and FleetLock: updates are not managed");
        }

        if (options.Value.Enabled && state.Policy is { } policy && observation.Booted is not null && observation.NodeUuid is not null)
        {
            DriverStep? step = null;
            if (state.Pending is not null)
            {
                step = await driver.ContinueAsync(state, observation, cancellationToken);
                unanswered = $"An update to {state.Pending.TargetVersion} is in progress.";
            }
            else if (request is { Action: UpdateAction.Rollback } rollback)
            {
                step = await driver.RollbackAsync(state, observation, rollback.CommandId, cancellationToken);
            }
            else if (policy.RollbackCommandId is { } command && command != state.HandledRollbackId)
            {
                step = await driver.RollbackAsync(state, observation, command, cancellationToken);
                unanswered = "A rollback the update policy asked for ran first.";
            }
            else if (request is { Action: UpdateAction.UpdateNow } && observation.ZincatiInstalled)
            {
                await services.TryRestartAsync("zincati.service", cancellationToken);
                request.Value.Done.TrySetResult(new(true, "Zincati restarted: it checks for an update now."));
                request = null;
            }
            else if (!observation.ZincatiInstalled && (request is not null || policyChanged
                || state.LastCheckAt is null || now - state.LastCheckAt >= CheckInterval))
            {
                step = await driver.CheckAsync(state, observation, cancellationToken);
            }

            if (request is { } asked && unanswered is null)
            {
                asked.Done.TrySetResult(Answer(step, asked.Action));
                request = null;
            }

            if (step is not null)
            {
                (state, rebootNow) = (step.State, step.Reboot);
                events.AddRange(step.Events);
            }

            if (state.LockHeld && state.Pending is null)
            {
                state = await driver.ReleaseLockAsync(state, observation, cancellationToken);
            }

            if (observation.ZincatiInstalled)
            {
                await ConfigureZincatiAsync(policy, cancellationToken);
            }
        }

        lock (_gate)
        {
            _outbox.AddRange(events);
            if (_outbox.Count > UpdateState.MaxOutbox)
            {
                _outbox.RemoveRange(0, _outbox.Count - UpdateState.MaxOutbox);
            }

            state = state with { Outbox = [.. _outbox] };
            _snapshot = Report(observation, state, now);
        }

        request?.Done.TrySetResult(new(false, unanswered ?? (options.Value.Enabled && state.Policy is not null
            ? "The device has no booted rpm-ostree deployment or no machine id: OS updates are not managed here."
            : "OS updates are not managed by this agent (off, or no update policy received yet).")));
        await store.SaveAsync(state, cancellationToken);
        _state = state;
        ReportReady?.Invoke(this, EventArgs.Empty);
        if (rebootNow)
        {
            await RebootAsync(state, cancellationToken);
        }
    }

    /// <summary>What a command hears of the step its request caused.</summary>
    private static UpdateActionResult Answer(DriverStep? step, UpdateAction action)
    {
        var events = step?.Events ?? [];
        if (events.FirstOrDefault(e => e.Kind == UpdateEventKind.Failed) is { } failed)
        {
            return new(false, failed.Error ?? "The update side reported a failure.");
        }

        if (step?.Reboot == true || step?.State.Pending is not null)
        {
            var target = step.State.Pending?.TargetVersion;
            return new(true, action == UpdateAction.Rollback
                ? $"Rolling back to {target}; the device reboots as the update policy coordinates it."
                : $"Updating to {target}; the device reboots as the update policy coordinates it.");
        }

        return action == UpdateAction.Rollback
            ? new(false, "There is no previous deployment to roll back to.")
            : new(true, "No newer release for this device: it is up to date.");
    }

    private (UpdateState State, bool Changed) TakePolicy(UpdateState state)
    {
        // Every policy message also asks for a check now: the portal re-sends the policy to make
        // devices look at a release it just published, without waiting for their next check.
        var policy = Interlocked.Exchange(ref _incomingPolicy, null);
        if (policy is null)
        {
            return (state, false);
        }

        var errors = UpdateRules.Check(policy);
        if (errors.Count > 0)
        {
            logger.LogWarning("Ignoring an update policy from the portal: {Errors}", string.Join("; ", errors));
            return (state, false);
        }

        // Zincati joins paths to its base URLs as URLs are joined, so a base with a path needs its '/'.
        policy = policy with { CincinnatiBaseUrl = WithSlash(policy.CincinnatiBaseUrl), FleetLockBaseUrl = WithSlash(policy.FleetLockBaseUrl) };
        if (policy == state.Policy)
        {
            return (state, true);
        }

        logger.LogInformation(
            "Update policy: stream {Stream}, updates {State}{Pin}, group {Group}, server {Url}",
            policy.Stream,
            policy.UpdatesEnabled ? "enabled" : "paused",
            policy.PinnedVersion is null ? string.Empty : $", pinned to {policy.PinnedVersion}",
            policy.Group,
            policy.CincinnatiBaseUrl);
        return (state with { Policy = policy }, true);
    }

    private async Task ConfigureZincatiAsync(UpdatePolicy policy, CancellationToken cancellationToken)
    {
        try
        {
            await zincati.ApplyAsync(policy, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Zincati configuration {Path} could not be written: {Error}", zincati.FilePath, ex.Message);
        }
    }

    private DeploymentReport Report(Observation observation, UpdateState state, DateTimeOffset now)
    {
        var agent = observation.Status is null ? UpdateAgentKind.None
            : observation.ZincatiInstalled ? UpdateAgentKind.Zincati
            : options.Value.Enabled ? UpdateAgentKind.Fleet : UpdateAgentKind.None;
        return new DeploymentReport(
            now,
            agent,
            observation.Greenboot.Status,
            observation.RollbackDetected,
            observation.Booted?.ToInfo(),
            observation.Status?.Staged?.ToInfo(),
            observation.NodeUuid,
            state.HandledRollbackId);
    }

    private async Task RebootAsync(UpdateState state, CancellationToken cancellationToken)
    {
        // The portal should hear "rebooting" before the device goes quiet; an offline device reboots anyway.
        var deadline = time.GetUtcNow() + ReportBeforeReboot;
        while (HasUndelivered() && time.GetUtcNow() < deadline)
        {
            if (!await WaitAsync(_deliveries.Reader, deadline - time.GetUtcNow(), cancellationToken))
            {
                return;
            }
        }

        try
        {
            logger.LogWarning("Rebooting into {Version}", state.Pending?.TargetVersion);
            await reboot.RebootAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError("Reboot failed: {Error}; requesting it again in {Minutes} minutes", ex.Message, UpdateDriver.RebootGrace.TotalMinutes);
        }
    }

    private bool HasUndelivered()
    {
        lock (_gate)
        {
            return _outbox.Count > 0;
        }
    }

    /// <summary>Waits for a signal or the delay on the injected clock; false when cancelled.</summary>
    private async Task<bool> WaitAsync(ChannelReader<bool> signal, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delayed = Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, time, stop.Token);
        var signalled = signal.WaitToReadAsync(stop.Token).AsTask();
        await Task.WhenAny(delayed, signalled);
        await stop.CancelAsync();
        while (signal.TryRead(out _))
        {
        }

        return !cancellationToken.IsCancellationRequested;
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";

    private static bool SameContent(DeploymentReport a, DeploymentReport? b) =>
        b is not null && a with { SentAt = default, Event = null } == b with { SentAt = default, Event = null };
}
