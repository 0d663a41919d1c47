using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// <c>fleet/devices/{id}/deployments</c>: the device's deployments and update state
/// (<see cref="DeploymentReportApplier"/>), its update timeline, and, once committed, each outcome handed to the
/// <see cref="RolloutGuard"/>, which halts a release that fails on too many devices.
/// </summary>
internal sealed class DeploymentReportHandler(RolloutGuard guard, ILogger<DeploymentReportHandler> logger)
    : IInboundHandler
{
    private readonly List<(Guid DeviceId, string Version, UpdateOutcome Outcome)> _outcomes = [];

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Deployments)];

    public IReadOnlyCollection<Type> BulkInserts { get; } = [typeof(DeviceEvent)];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.TryRead(message, FleetJson.Default.DeploymentReport, out var report)
            || await batch.DeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        var errors = DeploymentReportValidator.Validate(report);
        if (errors.Count > 0)
        {
            logger.LogWarning("Deployment report from device {DeviceId:N} dropped: {Errors}",
                device.Id, string.Join("; ", errors));
            return;
        }

        // The agent re-sends an event until it sees it acknowledged; a late duplicate (a slow PUBACK, a reboot
        // in between) may arrive after newer events, so "already recorded" is checked by id, not by order.
        var eventId = report.Event?.Id;
        if (eventId is not null && await RecordedAsync(batch.Db, device.Id, eventId, cancellationToken))
        {
            report = report with { Event = null };
            eventId = null;
        }

        var applied = DeploymentReportApplier.Apply(device, report, message.ReceivedAt);
        foreach (var text in applied.Events)
        {
            batch.AddEvent(device.Id, message.ReceivedAt, "update", text, eventId);
            eventId = null;
        }

        if (applied.Outcome is { } outcome)
        {
            _outcomes.Add((device.Id, outcome.Version, outcome.Outcome));
        }

        device.LastSeenAt = message.ReceivedAt;
        batch.Reported.Add(device.Id);
    }

    /// <summary>The reports are stored whatever the guard does with their outcomes.</summary>
    public async Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        foreach (var (deviceId, version, outcome) in _outcomes)
        {
            try
            {
                await (outcome == UpdateOutcome.Succeeded
                    ? guard.RecordSuccessAsync(version, deviceId, cancellationToken)
                    : guard.RecordFailureAsync(version, deviceId, cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex,
                    "Update outcome {Outcome} of {Version} on device {DeviceId:N} could not be recorded",
                    outcome, version, deviceId);
            }
        }
    }

    private static async Task<bool> RecordedAsync(
        FleetDbContext db, Guid deviceId, string sourceId, CancellationToken cancellationToken) =>
        db.DeviceEvents.Local.Any(e => e.DeviceId == deviceId && e.SourceId == sourceId)
        || await db.DeviceEvents.AnyAsync(e => e.DeviceId == deviceId && e.SourceId == sourceId, cancellationToken);
}
