using Fleet.Portal.Features.Updates;

namespace Fleet.Portal.Data;

/// <summary>
/// How a device is updated: its group, its own stream, pause and pin (each wins over its group's). Kept
/// apart from Device.cs; mapped by DeviceUpdateConfiguration.
/// </summary>
public sealed partial class Device : IPausable
{
    /// <summary>The device's <see cref="DeviceGroup"/>; null: the <c>default</c> group.</summary>
    public int? GroupId { get; set; }

    /// <summary>A stream for this device alone; null: its group's, else the fleet default.</summary>
    public string? UpdateStreamOverride { get; set; }

    public DateTimeOffset? UpdatesPausedAt { get; set; }

    public DateTimeOffset? UpdatesPausedUntil { get; set; }

    public string? UpdatesPauseReason { get; set; }

    public string? UpdatesPausedBy { get; set; }

    /// <summary>Only this version is offered to the device.</summary>
    public string? PinnedVersion { get; set; }

    /// <summary>The rollback an Operator asked for (a fresh id per request); the agent runs each id once and acknowledges it in <see cref="RollbackCommandAck"/>.</summary>
    public string? RollbackCommandId { get; set; }

    DateTimeOffset? IPausable.PausedAt { get => UpdatesPausedAt; set => UpdatesPausedAt = value; }

    DateTimeOffset? IPausable.PausedUntil { get => UpdatesPausedUntil; set => UpdatesPausedUntil = value; }

    string? IPausable.PauseReason { get => UpdatesPauseReason; set => UpdatesPauseReason = value; }

    string? IPausable.PausedBy { get => UpdatesPausedBy; set => UpdatesPausedBy = value; }
}
