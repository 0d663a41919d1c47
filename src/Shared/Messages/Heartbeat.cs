namespace Fleet.Shared.Messages;

/// <summary>Agent → portal on <see cref="Topics.Heartbeat"/> every <see cref="DeviceSettings.HeartbeatIntervalSeconds"/>.</summary>
/// <param name="Sequence">Increments by one per heartbeat since the agent started; a reset means the agent restarted.</param>
/// <param name="SentAt">When the agent sent it (agent clock).</param>
/// <param name="UptimeSeconds">Seconds since boot (<c>/proc/uptime</c>).</param>
/// <param name="Load1">1-minute load average (<c>/proc/loadavg</c>).</param>
/// <param name="Load5">5-minute load average.</param>
/// <param name="Load15">15-minute load average.</param>
public sealed record Heartbeat(
    long Sequence,
    DateTimeOffset SentAt,
    double UptimeSeconds,
    double Load1,
    double Load5,
    double Load15);
