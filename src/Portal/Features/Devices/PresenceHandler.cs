using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Whether a device is online: a lost connection (from the broker) and the sweep of devices not heard from
/// (<see cref="PresenceMonitor"/>) take it offline; <see cref="Set"/> is how every handler changes presence.
/// </summary>
internal sealed class PresenceHandler(IOptions<DeviceOptions> options) : IInboundHandler
{
    /// <summary>The presence sweep's timer tick.</summary>
    public static readonly InboundKind Sweep = new("PresenceSweep", FromDevice: false);

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.ConnectionLost, Sweep];

    public IReadOnlyCollection<Type> BulkInserts { get; } = [typeof(DeviceEvent)];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (message.Kind == Sweep)
        {
            var timeout = options.Value.OfflineTimeoutSeconds;
            var cutoff = message.ReceivedAt.AddSeconds(-timeout);
            var stale = await batch.Db.Devices.Where(d => d.IsOnline && d.LastSeenAt < cutoff)
                .ToListAsync(cancellationToken);
            foreach (var device in stale)
            {
                Set(batch, device, false, message.ReceivedAt, $"not heard from for {timeout} s");
            }
        }
        else if (await batch.DeviceAsync(message, cancellationToken) is { } lost)
        {
            Set(batch, lost, false, message.ReceivedAt, "connection lost");
        }
    }

    /// <summary>
    /// Marks the device online or offline, with an event when that changes. Presence is telemetry: the record (what
    /// the device is, and so its rendered config) stays the same.
    /// </summary>
    public static void Set(IngestBatch batch, Device device, bool online, DateTimeOffset at, string why)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(device);
        if (device.IsOnline == online)
        {
            return;
        }

        device.IsOnline = online;
        batch.Db.DeviceEvents.Add(new DeviceEvent
        {
            DeviceId = device.Id,
            At = at,
            Kind = online ? "online" : "offline",
            Message = online ? $"Online: {why}" : $"Offline: {why}",
        });
        batch.Reported.Add(device.Id);
    }
}
