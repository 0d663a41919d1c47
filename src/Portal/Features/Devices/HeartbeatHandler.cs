using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// <c>fleet/devices/{id}/heartbeat</c>: a row per heartbeat, the device's uptime and load, and presence.
/// </summary>
internal sealed class HeartbeatHandler(ILogger<HeartbeatHandler> logger) : IInboundHandler
{
    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Heartbeat)];

    public IReadOnlyCollection<Type> BulkInserts { get; } = [typeof(HeartbeatRecord), typeof(DeviceEvent)];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.TryRead(message, FleetJson.Default.Heartbeat, out var heartbeat)
            || await batch.DeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        if (!double.IsFinite(heartbeat.UptimeSeconds) || heartbeat.UptimeSeconds < 0 || heartbeat.UptimeSeconds > 3.2e9
            || !IsLoad(heartbeat.Load1) || !IsLoad(heartbeat.Load5) || !IsLoad(heartbeat.Load15)
            || heartbeat.Sequence < 0)
        {
            logger.LogWarning(
                "Heartbeat from device {DeviceId:N} dropped: uptime, load or sequence out of range ({Heartbeat})",
                device.Id, heartbeat);
            return;
        }

        batch.Db.Heartbeats.Add(new HeartbeatRecord
        {
            DeviceId = device.Id,
            ReceivedAt = message.ReceivedAt,
            SentAt = heartbeat.SentAt,
            Sequence = heartbeat.Sequence,
            UptimeSeconds = heartbeat.UptimeSeconds,
            Load1 = heartbeat.Load1,
            Load5 = heartbeat.Load5,
            Load15 = heartbeat.Load15,
        });
        device.UptimeSeconds = heartbeat.UptimeSeconds;
        device.Load1 = heartbeat.Load1;
        device.Load5 = heartbeat.Load5;
        device.Load15 = heartbeat.Load15;
        device.LastSeenAt = message.ReceivedAt;
        PresenceHandler.Set(batch, device, true, message.ReceivedAt, "heartbeat received");
        batch.Reported.Add(device.Id);
    }

    private static bool IsLoad(double value) => double.IsFinite(value) && value is >= 0 and < 1e6;
}
