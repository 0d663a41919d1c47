using Fleet.DeviceAgent.Identity;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Heartbeats: uptime and load every heartbeat interval while connected, the first at once; the interval is the
/// override, the portal's setting or the protocol default.
/// </summary>
/// <param name="health">Uptime and load for heartbeats.</param>
/// <param name="options">The heartbeat interval override, if any.</param>
/// <param name="logger">Where refusals and interval changes are logged.</param>
public sealed class HeartbeatModule(IHealthReader health, AgentOptions options, ILogger logger) : IDeviceModule
{
    private long _sent;
    private long _intervalTicks = TimeSpan.FromSeconds(
        options.HeartbeatIntervalOverrideSeconds ?? Protocol.DefaultHeartbeatIntervalSeconds).Ticks;

    private string? _settingsTopic;

    /// <summary>The last heartbeat of this connection; MinValue: none yet (the next is due at once).</summary>
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Heartbeats the broker acknowledged since start; also the last heartbeat's sequence number.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>The heartbeat interval in force: the override, the portal's setting, or the protocol default.</summary>
    public TimeSpan Interval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _intervalTicks));
        private set => Interlocked.Exchange(ref _intervalTicks, value.Ticks);
    }

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _settingsTopic = Topics.Settings(deviceId);
        topics.Add(new(_settingsTopic, $"keeping a heartbeat interval of {Interval}"));
    }

    public void OnOnline(DeviceSession session) => _last = DateTimeOffset.MinValue;

    public async ValueTask<bool> TrySendAsync(
        DeviceSession session,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (now < NextDue(now))
        {
            return false;
        }

        // The schedule and the reported time are the same instant, so intervals between reports are exact.
        _last = now;
        var sample = health.Read();
        var sequence = Sent + 1;
        var heartbeat = new Heartbeat(sequence, now, sample.UptimeSeconds, sample.Load1, sample.Load5, sample.Load15);
        if (await session.PublishAsync(
            Topics.Heartbeat(session.DeviceId),
            heartbeat,
            FleetJson.Default.Heartbeat,
            cancellationToken))
        {
            Interlocked.Exchange(ref _sent, sequence);
        }
        else
        {
            logger.LogWarning(
                "The broker refused heartbeat {Sequence} of device {DeviceId}",
                sequence,
                session.DeviceId);
        }

        return true;
    }

    public DateTimeOffset NextDue(DateTimeOffset now) => _last == DateTimeOffset.MinValue ? now : _last + Interval;

    public ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        if (topic != _settingsTopic)
        {
            return ValueTask.FromResult(false);
        }

        if (MessageJson.TryDeserialize(payload, FleetJson.Default.DeviceSettings, out var settings))
        {
            Apply(settings.HeartbeatIntervalSeconds);
        }
        else
        {
            logger.LogWarning("Ignoring unreadable settings on {Topic}", topic);
        }

        return ValueTask.FromResult(false);
    }

    private void Apply(int seconds)
    {
        if (options.HeartbeatIntervalOverrideSeconds is { } overridden)
        {
            logger.LogDebug(
                "Portal asks for heartbeats every {Seconds} s; keeping the configured override of {Override} s",
                seconds,
                overridden);
            return;
        }

        if (seconds is < 1 or > 86_400)
        {
            logger.LogWarning("Ignoring a heartbeat interval of {Seconds} s from the portal", seconds);
            return;
        }

        var interval = TimeSpan.FromSeconds(seconds);
        if (interval != Interval)
        {
            logger.LogInformation("Heartbeat interval is now {Seconds} s", seconds);
            Interval = interval;
        }
    }
}
