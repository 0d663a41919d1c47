using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Health;

/// <summary>
/// <c>fleet/devices/{id}/health</c>, the hot path (thousands a second): reports go to the <see cref="HealthBatch"/>,
/// which writes them after the batch's tracked changes. A device that only sent health reports is not loaded as an
/// entity, only its state and presence; its last-seen time goes to <see cref="HealthBatch.Seen"/>. Only a device
/// coming online is loaded, for its event.
/// </summary>
internal sealed class HealthReportHandler(HealthBatch health) : IInboundHandler
{
    private readonly Dictionary<Guid, (EnrollmentState State, bool IsOnline)> _reporting = [];

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Health)];

    public bool LoadsDevice => false;

    public IReadOnlyCollection<Type> BulkInserts { get; } = [typeof(DeviceEvent)];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    public async Task PreloadAsync(
        IReadOnlyList<InboundMessage> messages, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(batch);
        var ids = new HashSet<Guid>();
        foreach (var message in messages)
        {
            if (Guid.TryParseExact(message.Id, "N", out var id) && !batch.Loaded(id))
            {
                ids.Add(id);
            }
        }

        if (ids.Count == 0)
        {
            return;
        }

        var list = ids.ToList();
        foreach (var d in await batch.Db.Devices.AsNoTracking().Where(d => list.Contains(d.Id))
                     .Select(d => new { d.Id, d.State, d.IsOnline }).ToListAsync(cancellationToken))
        {
            _reporting[d.Id] = (d.State, d.IsOnline);
        }

        // Those coming online get an event and a flag: loaded together, not one query each (after a restart, all).
        var comingOnline = _reporting.Where(r => r.Value is { State: EnrollmentState.Approved, IsOnline: false })
            .Select(r => r.Key).ToList();
        await batch.LoadDevicesAsync(comingOnline, cancellationToken);
    }

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (!Guid.TryParseExact(message.Id, "N", out var id) || !_reporting.TryGetValue(id, out var known))
        {
            // Tracked because the batch has other messages from it, or not preloaded at all (unknown).
            if (await batch.DeviceAsync(message, cancellationToken) is { } device
                && health.Add(device.Id, message.Payload, message.ReceivedAt))
            {
                device.LastSeenAt = message.ReceivedAt;
                PresenceHandler.Set(batch, device, true, message.ReceivedAt, "health report received");
                batch.Reported.Add(device.Id);
            }

            return;
        }

        if (known.State != EnrollmentState.Approved)
        {
            batch.Ignore(message);
            return;
        }

        if (!health.Add(id, message.Payload, message.ReceivedAt))
        {
            return;
        }

        health.Seen(id, message.ReceivedAt);
        batch.Reported.Add(id);
        if (!known.IsOnline && await batch.Db.Devices.FindAsync([id], cancellationToken) is { } offline)
        {
            PresenceHandler.Set(batch, offline, true, message.ReceivedAt, "health report received");
            _reporting[id] = (known.State, true);
        }
    }

    public Task SavedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return health.FlushAsync(batch.Db, cancellationToken);
    }

    public Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        health.Committed();
        return Task.CompletedTask;
    }
}
