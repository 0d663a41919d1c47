using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// Health reports, store-and-forward: sampled every health interval for the whole enrolled life, connected or not,
/// queued in the outbox, and sent oldest first while connected; a report leaves the queue only when the broker
/// acknowledged it.
/// </summary>
public sealed class HealthModule : IDeviceModule
{
    /// <summary>
    /// Health interval until the portal says otherwise (<see cref="DeviceSettings.HealthIntervalSeconds"/> null).
    /// </summary>
    public const int DefaultIntervalSeconds = 60;

    // Real time: collectors read real files and run real tools, which a test's fake clock would never end.
    private static readonly TimeSpan CollectionLimit = TimeSpan.FromSeconds(60);

    // How long a report the broker refused (0x97 over the rate, 0x87 not authorised) waits at the queue head.
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(30);

    private readonly IHealthSource _source;
    private readonly HealthOutbox _outbox;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _sent;
    private long _intervalTicks;
    private TaskCompletionSource _intervalChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _settingsTopic;

    /// <summary>When the next queued report may be sent; MinValue: at once (on a new connection).</summary>
    private DateTimeOffset _nextSend = DateTimeOffset.MinValue;

    /// <param name="source">Samples the device's health.</param>
    /// <param name="outbox">Where reports wait until the broker acknowledges them.</param>
    /// <param name="options">The health interval override, if any.</param>
    /// <param name="time">Clock for the sampling schedule and the pacing of the backlog.</param>
    /// <param name="logger">Where failures and interval changes are logged.</param>
    public HealthModule(
        IHealthSource source, HealthOutbox outbox, AgentOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _outbox = outbox ?? throw new ArgumentNullException(nameof(outbox));
        _options = options;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _intervalTicks = TimeSpan.FromSeconds(options.HealthIntervalOverrideSeconds ?? DefaultIntervalSeconds).Ticks;
    }

    /// <summary>The sequence number of the last health report the broker acknowledged (0: none since start).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>
    /// The health interval in force: the override, the portal's setting, or <see cref="DefaultIntervalSeconds"/>.
    /// </summary>
    public TimeSpan Interval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _intervalTicks));
        private set
        {
            Interlocked.Exchange(ref _intervalTicks, value.Ticks);

            // Wakes the sampling loop, so a changed interval applies at once.
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _intervalChanged, next).TrySetResult();
        }
    }

    /// <summary>
    /// Least time between two health reports sent: <see cref="Protocol.HealthBacklogSpacing"/>, or a quarter of a
    /// shorter interval.
    /// </summary>
    internal static TimeSpan BacklogSpacing(TimeSpan healthInterval) =>
        healthInterval / 4 < Protocol.HealthBacklogSpacing ? healthInterval / 4 : Protocol.HealthBacklogSpacing;

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _settingsTopic = Topics.Settings(deviceId);
        topics.Add(new(_settingsTopic, $"keeping a health interval of {Interval}"));
    }

    public Task RunWhileEnrolledAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.Run(() => SampleAsync(deviceId, cancellationToken), CancellationToken.None);

    public void OnOnline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _nextSend = DateTimeOffset.MinValue;
        _outbox.Enqueued += session.Wake;
    }

    public void OnOffline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _outbox.Enqueued -= session.Wake;
    }

    /// <summary>
    /// Sends the oldest queued report, paced by <see cref="BacklogSpacing"/>; a report whose PUBACK was lost is sent
    /// again, the same bytes, after reconnecting.
    /// </summary>
    public async ValueTask<bool> TrySendAsync(
        DeviceSession session,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (now < _nextSend || _outbox.Peek() is not { } head)
        {
            return false;
        }

        if (await session.PublishAsync(Topics.Health(session.DeviceId), head.Payload, cancellationToken))
        {
            _outbox.Remove(head);
            Interlocked.Exchange(ref _sent, head.Sequence);
            _nextSend = now + BacklogSpacing(Interval);
            return true;
        }

        _nextSend = now + RefusedRetry;
        _logger.LogWarning(
            "The broker refused health report {Sequence} of device {DeviceId}; kept queued, next try in {Seconds} s",
            head.Sequence, session.DeviceId, RefusedRetry.TotalSeconds);
        return false;
    }

    public DateTimeOffset NextDue(DateTimeOffset now) =>
        _outbox.Count > 0 && _nextSend > now ? _nextSend : DateTimeOffset.MaxValue;

    public ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        // The heartbeat module warns about unreadable settings.
        if (topic == _settingsTopic
            && MessageJson.TryDeserialize(payload, FleetJson.Default.DeviceSettings, out var settings))
        {
            Apply(settings.HealthIntervalSeconds);
        }

        return ValueTask.FromResult(false);
    }

    /// <summary>
    /// Samples every <see cref="Interval"/> until cancelled and queues each report; the schedule is the instant
    /// sampling starts, which is also the report's <c>sentAt</c>.
    /// </summary>
    private async Task SampleAsync(string deviceId, CancellationToken cancellationToken)
    {
        var last = DateTimeOffset.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            var changed = Volatile.Read(ref _intervalChanged).Task;
            var now = _time.GetUtcNow();
            var due = last == DateTimeOffset.MinValue ? now : last + Interval;
            if (now < due)
            {
                // Until it is due or the interval changes (then the due time is worked out again).
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(Task.Delay(due - now, _time, wait.Token), changed);
                await wait.CancelAsync();
                continue;
            }

            last = now;
            try
            {
                var report = await StartSample(_outbox.LastSequence + 1, now, cancellationToken);
                _outbox.Enqueue(report with { DroppedReports = _outbox.Dropped });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogWarning("Health sampling of device {DeviceId} failed: {Error}",
                    deviceId, ex.GetBaseException().Message);
            }
        }
    }

    private Task<HealthReport> StartSample(long sequence, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        try
        {
            var sample = _source.CollectAsync(sequence, sentAt, cancellationToken);
            return sample.IsCompleted ? sample : sample.WaitAsync(CollectionLimit, cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException<HealthReport>(ex);
        }
    }

    private void Apply(int? seconds)
    {
        if (_options.HealthIntervalOverrideSeconds is not null || seconds is null)
        {
            return;
        }

        if (seconds is < 1 or > 86_400)
        {
            _logger.LogWarning("Ignoring a health interval of {Seconds} s from the portal", seconds);
            return;
        }

        var interval = TimeSpan.FromSeconds(seconds.Value);
        if (interval != Interval)
        {
            _logger.LogInformation("Health interval is now {Seconds} s", seconds);
            Interval = interval;
        }
    }
}
