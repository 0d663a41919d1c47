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

    /// <summary>Health reports the broker acknowledged since start; also the last report's sequence number.</summary>
    public long HealthReportsSent => Interlocked.Read(ref _healthReportsSent);

    /// <summary>The health interval in force: the override, the portal's setting, or <see cref="DefaultHealthIntervalSeconds"/>.</summary>
    public TimeSpan HealthInterval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _healthIntervalTicks));
        private set => Interlocked.Exchange(ref _healthIntervalTicks, value.Ticks);
    }

    /// <summary>Returns true when it did something, so the loop looks at the clock again.</summary>
    private async Task<bool> RunHealthAsync(MqttSession session, string deviceId, DateTimeOffset now, SessionReports reports, CancellationToken cancellationToken)
    {
        if (_healthSource is null)
        {
            return false;
        }

        if (reports.PendingHealth is { IsCompleted: true } done)
        {
            reports.PendingHealth = null;
            if (!done.IsCompletedSuccessfully)
            {
                _logger.LogWarning("Health sampling of device {DeviceId} failed: {Error}", deviceId, done.Exception?.GetBaseException().Message ?? "timed out");
                return true;
            }

            var report = await done;
            if (await session.PublishAsync(Topics.Health(deviceId), report, FleetJson.Default.HealthReport, cancellationToken))
            {
                Interlocked.Exchange(ref _healthReportsSent, report.Sequence);
            }
            else
            {
                _logger.LogWarning("The broker refused health report {Sequence} of device {DeviceId}", report.Sequence, deviceId);
            }

            return true;
        }

        if (reports.PendingHealth is not null || now < reports.NextHealth(HealthInterval))
        {
            return false;
        }

        // As for heartbeats, the schedule and the reported time are the same instant; a changed interval applies at once.
        reports.LastHealth = now;
        var pending = StartHealthSample(HealthReportsSent + 1, now, cancellationToken);
        if (!pending.IsCompleted)
        {
            _ = pending.ContinueWith(static (_, state) => ((MqttSession)state!).Wake(), session, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        reports.PendingHealth = pending;
        return true;
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
        /// <summary>When the last health sample started; MinValue: none yet on this connection, so one is due now.</summary>
        public DateTimeOffset LastHealth { get; set; } = DateTimeOffset.MinValue;

        public Task<HealthReport>? PendingHealth { get; set; }

        public DateTimeOffset ConfigRefusedUntil { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset NextHealth(TimeSpan interval) => LastHealth == DateTimeOffset.MinValue ? DateTimeOffset.MinValue : LastHealth + interval;

        /// <summary>The earlier of <paramref name="due"/> and the next health sample (none while one is being taken).</summary>
        public DateTimeOffset Earliest(DateTimeOffset due, TimeSpan? healthInterval, DateTimeOffset now)
        {
            var next = healthInterval is { } interval && PendingHealth is null ? NextHealth(interval) : DateTimeOffset.MaxValue;
            if (ConfigRefusedUntil > now && ConfigRefusedUntil < next)
            {
                next = ConfigRefusedUntil;
            }

            return next < due ? next : due;
        }
    }
}
