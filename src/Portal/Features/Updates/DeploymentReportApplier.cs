using Fleet.Portal.Data;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Updates;

/// <summary>What applying one report changed beyond the device row: timeline entries and at most one update outcome.</summary>
internal sealed record AppliedReport(IReadOnlyList<string> Events, (string Version, UpdateOutcome Outcome)? Outcome);

/// <summary>Turns a valid <see cref="DeploymentReport"/> into device fields, timeline entries and an update outcome.</summary>
internal static class DeploymentReportApplier
{
    private const int MaxEventText = 1024;

    public static AppliedReport Apply(Device device, DeploymentReport report, DateTimeOffset receivedAt)
    {
        var events = new List<string>();
        (string, UpdateOutcome)? outcome = null;
        var previousChecksum = device.BootedChecksum;
        var wasRolledBack = device.UpdateStatus == DeviceUpdateStatus.RolledBack;

        device.BootedVersion = report.Booted?.Version;
        device.BootedChecksum = report.Booted?.Checksum;
        device.StagedVersion = report.Staged is { } staged ? staged.Version ?? staged.Checksum[..12] : null;
        device.Greenboot = report.Greenboot;
        device.UpdateAgent = report.UpdateAgent;
        device.NodeUuid = report.NodeUuid ?? device.NodeUuid;
        device.RollbackCommandAck = report.RollbackCommandId ?? device.RollbackCommandAck;
        device.DeploymentsReportedAt = receivedAt;

        // Events are re-sent until acknowledged. The processor strips one already recorded (by its id) before
        // calling this; the check here only saves work when the same event arrives twice in a row.
        if (report.Event is { } e && e.Id != device.LastUpdateEventId)
        {
            device.LastUpdateEventId = e.Id;
            // No version: a rollback command that could not run, or a release the agent could not name.
            var to = e.TargetVersion is null ? string.Empty : $" to {e.TargetVersion}";
            var (status, text) = e.Kind switch
            {
                UpdateEventKind.Started => (DeviceUpdateStatus.Updating, $"Update{to} started"),
                UpdateEventKind.Staged => (DeviceUpdateStatus.Staged, $"Update{to} staged for the next boot"),
                UpdateEventKind.Rebooting => (DeviceUpdateStatus.Rebooting, $"Rebooting into {e.TargetVersion ?? "the new deployment"}"),
                UpdateEventKind.Succeeded => (DeviceUpdateStatus.Updated, $"Updated{to}"),
                UpdateEventKind.Failed => (DeviceUpdateStatus.Failed, $"Update{to} failed"),
                _ => (DeviceUpdateStatus.RolledBack, e.TargetVersion is null ? "Rolled back" : $"Rolled back from {e.TargetVersion}"),
            };
            device.UpdateStatus = status;
            if (e.Kind == UpdateEventKind.RolledBack)
            {
                device.LastRollbackAt = receivedAt;
            }

            events.Add(Limit(e.Error is null ? text : $"{text}: {e.Error}"));
            if (e.TargetVersion is not null && e.Kind is UpdateEventKind.Succeeded or UpdateEventKind.Failed or UpdateEventKind.RolledBack)
            {
                outcome = (e.TargetVersion, e.Kind switch
                {
                    UpdateEventKind.Succeeded => UpdateOutcome.Succeeded,
                    UpdateEventKind.Failed => UpdateOutcome.Failed,
                    _ => UpdateOutcome.RolledBack,
                });
            }

            return new AppliedReport(events, outcome);
        }

        if (report.RollbackDetected && (!wasRolledBack || previousChecksum != device.BootedChecksum))
        {
            device.UpdateStatus = DeviceUpdateStatus.RolledBack;
            device.LastRollbackAt = receivedAt;
            events.Add($"Rollback detected: the device booted an older deployment ({device.BootedVersion ?? device.BootedChecksum ?? "unknown"})");
        }
        else if (report.Staged is not null && device.UpdateStatus is null or DeviceUpdateStatus.Idle or DeviceUpdateStatus.Updated)
        {
            device.UpdateStatus = DeviceUpdateStatus.Staged;
        }
        else if (report.Staged is null && device.UpdateStatus is null or DeviceUpdateStatus.Staged)
        {
            device.UpdateStatus = DeviceUpdateStatus.Idle;
        }

        return new AppliedReport(events, null);
    }

    private static string Limit(string text) => text.Length <= MaxEventText ? text : string.Concat(text.AsSpan(0, MaxEventText - 1), "…");
}
