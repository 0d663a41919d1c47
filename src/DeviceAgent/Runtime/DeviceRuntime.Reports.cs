using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

// Health reports and config reports: sampled and applied off the device loop, published by it.
public sealed partial class DeviceRuntime
{
    /// <summary>Health interval until the portal says otherwise (<see cref="DeviceSettings.HealthIntervalSeconds"/> null).</summary>
    public const int DefaultHealthIntervalSeconds = 60;

    // Real time: collectors read real files and run real tools, which a test's fake clock would never end.
    private static readonly TimeSpan HealthCollectionLimit = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ConfigReportRetry = TimeSpan.FromSeconds(60);

    // How long a report the broker refused (0x97 over the rate, 0x87 not authorised) waits at the queue head.
    private static readonly TimeSpan HealthRefusedRetry = TimeSpan.FromSeconds(30);

    /// <summary>The sequence number of the last health report the broker acknowledged (0: none since start).</summary>
    public long HealthReportsSent => Interlocked.Read(ref _healthReportsSent);

    /// <summary>The health interval in force: the override, the portal's setting, or <see cref="DefaultHealthIntervalSeconds"/>.</summary>
    public TimeSpan HealthInterval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _healthIntervalTicks));
        private set
        {
            Interlocked.Exchange(ref _healthIntervalTicks, value.Ticks);

            // Wakes the sampling loop, so a changed interval applies at once.
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _healthIntervalChanged, next).TrySetResult();
        }
    }

    /// <summary>
    /// Samples health every <see cref="HealthInterval"/> from the start of the enrolled life until it ends, connected
    /// or not, and queues each report; the device loop sends the queue. The schedule is the instant sampling starts,
    /// which is also the report's <c>sentAt</c>.
    /// </summary>
    private async Task SampleHealthAsync(CancellationToken cancellationToken)
    {
        var last = DateTimeOffset.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            var changed = Volatile.Read(ref _healthIntervalChanged).Task;
            var now = _time.GetUtcNow();
            var due = last == DateTimeOffset.MinValue ? now : last + HealthInterval;
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
                var report = await StartHealthSample(_healthOutbox.LastSequence + 1, now, cancellationToken);
                _healthOutbox.Enqueue(report with { DroppedReports = _healthOutbox.Dropped });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogWarning("Health sampling of device {DeviceId} failed: {Error}",
                    DeviceId, ex.GetBaseException().Message);
            }
        }
    }

    /// <summary>
    /// Sends the oldest queued health report, paced by <see cref="BacklogSpacing"/>; it leaves the queue only when the
    /// broker acknowledged it, so a report whose PUBACK was lost is sent again, the same bytes, after reconnecting.
    /// Returns true when it sent one, so the loop looks at the clock again.
    /// </summary>
    private async Task<bool> SendQueuedHealthAsync(
        MqttSession session,
        string deviceId,
        DateTimeOffset now,
        SessionReports reports,
        CancellationToken cancellationToken)
    {
        if (_healthSource is null || now < reports.NextHealthSend || _healthOutbox.Peek() is not { } head)
        {
            return false;
        }

        if (await session.PublishAsync(Topics.Health(deviceId), head.Payload, cancellationToken))
        {
            _healthOutbox.Remove(head);
            Interlocked.Exchange(ref _healthReportsSent, head.Sequence);
            reports.NextHealthSend = now + BacklogSpacing(HealthInterval);
            return true;
        }

        reports.NextHealthSend = now + HealthRefusedRetry;
        _logger.LogWarning(
            "The broker refused health report {Sequence} of device {DeviceId}; kept queued, next try in {Seconds} s",
            head.Sequence, deviceId, HealthRefusedRetry.TotalSeconds);
        return false;
    }

    private Task<HealthReport> StartHealthSample(long sequence, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        try
        {
            var sample = _healthSource!.CollectAsync(sequence, sentAt, cancellationToken);
            return sample.IsCompleted ? sample : sample.WaitAsync(HealthCollectionLimit, cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException<HealthReport>(ex);
        }
    }

    /// <summary>
    /// Least time between two health reports sent: <see cref="Protocol.HealthBacklogSpacing"/>, or a quarter of a
    /// shorter interval.
    /// </summary>
    internal static TimeSpan BacklogSpacing(TimeSpan healthInterval) =>
        healthInterval / 4 < Protocol.HealthBacklogSpacing ? healthInterval / 4 : Protocol.HealthBacklogSpacing;

    private async Task<bool> SendConfigReportAsync(MqttSession session, string deviceId, DateTimeOffset now, SessionReports reports, CancellationToken cancellationToken)
    {
        if (_config is null || now < reports.ConfigRefusedUntil || _config.NextReport() is not { } report)
        {
            return false;
        }

        if (await session.PublishAsync(Topics.ConfigReport(deviceId), report, FleetJson.Default.ConfigReport, cancellationToken))
        {
            _config.Delivered(report);
            return true;
        }

        reports.ConfigRefusedUntil = now + ConfigReportRetry;
        _logger.LogWarning("The broker refused a config report of device {DeviceId}; trying again in {Seconds} s", deviceId, ConfigReportRetry.TotalSeconds);
        return false;
    }

    private void OnDesiredConfig(MessageReceived message)
    {
        if (message.Payload.Length == 0)
        {
            // An empty retained message clears the topic: the portal no longer assigns a config.
            return;
        }

        if (MessageJson.TryDeserialize(message.Payload, FleetJson.Default.DesiredConfig, out var desired))
        {
            _config!.OnDesired(desired);
        }
        else
        {
            _logger.LogWarning("Ignoring an unreadable desired config on {Topic}", message.Topic);
        }
    }

    private void ApplyHealthInterval(int? seconds)
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
        if (interval != HealthInterval)
        {
            _logger.LogInformation("Health interval is now {Seconds} s", seconds);
            HealthInterval = interval;
        }
    }

    /// <summary>Per-connection schedule of the reports that are not heartbeats.</summary>
    private sealed class SessionReports
    {
        /// <summary>When the next queued health report may be sent; MinValue: at once (on a new connection).</summary>
        public DateTimeOffset NextHealthSend { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset ConfigRefusedUntil { get; set; } = DateTimeOffset.MinValue;

        /// <summary>
        /// The earliest of <paramref name="due"/>, the next health send (if any wait) and the config retry.
        /// </summary>
        public DateTimeOffset Earliest(DateTimeOffset due, bool healthWaiting, DateTimeOffset now)
        {
            var next = healthWaiting && NextHealthSend > now ? NextHealthSend : DateTimeOffset.MaxValue;
            if (ConfigRefusedUntil > now && ConfigRefusedUntil < next)
            {
                next = ConfigRefusedUntil;
            }

            return next < due ? next : due;
        }
    }
}
