namespace Fleet.Shared.Messages;

/// <summary>Portal → agent on <see cref="Topics.Settings"/>: sent whenever the device comes online and whenever they change.</summary>
/// <param name="HeartbeatIntervalSeconds">Seconds between heartbeats.</param>
/// <param name="HealthIntervalSeconds">Seconds between <see cref="HealthReport"/>s; null keeps the agent's default.</param>
public sealed record DeviceSettings(int HeartbeatIntervalSeconds, int? HealthIntervalSeconds = null);
