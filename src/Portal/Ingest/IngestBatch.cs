using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fleet.Portal.Data;
using Fleet.Portal.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Ingest;

/// <summary>
/// One batch of inbound messages on its way to one commit: the <see cref="FleetDbContext"/> it is applied to, the
/// devices it names, and what must wait for the commit (replies, ended sessions, page notifications). A device never
/// receives a reply the database does not hold.
/// </summary>
internal sealed class IngestBatch(FleetDbContext db, ILogger logger)
{
    private readonly HashSet<Guid> _loaded = [];
    private readonly Dictionary<InboundMessage, object?> _read = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<InboundMessage> _unknown = new(ReferenceEqualityComparer.Instance);

    public FleetDbContext Db => db;

    /// <summary>Messages to devices, published in order once the batch is committed.</summary>
    public List<(string Topic, byte[] Payload)> Outbox { get; } = [];

    /// <summary>Devices whose credential this batch revoked: their live MQTT session ends after the commit.</summary>
    public HashSet<Guid> EndSessions { get; } = [];

    /// <summary>Devices whose record changed (enrolment, update events): open pages reload them.</summary>
    public HashSet<Guid> Changed { get; } = [];

    /// <summary>Devices that only reported (health, heartbeats, presence): pages refresh live values.</summary>
    public HashSet<Guid> Reported { get; } = [];

    /// <summary>Loads, tracked and in one query, the devices these ids name.</summary>
    public async Task LoadDevicesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count > 0)
        {
            var list = ids.ToList();
            await db.Devices.Where(d => list.Contains(d.Id)).LoadAsync(cancellationToken);
            _loaded.UnionWith(ids);
        }
    }

    /// <summary>Whether <see cref="LoadDevicesAsync"/> loaded this device (whether or not it exists).</summary>
    public bool Loaded(Guid id) => _loaded.Contains(id);

    public void Reply<T>(string topic, T message, JsonTypeInfo<T> type) =>
        Outbox.Add((topic, JsonSerializer.SerializeToUtf8Bytes(message, type)));

    /// <summary>A line in the device's history; the device's page reloads.</summary>
    public void AddEvent(Guid deviceId, DateTimeOffset at, string kind, string text, string? sourceId = null)
    {
        db.DeviceEvents.Add(new DeviceEvent
        {
            DeviceId = deviceId, At = at, Kind = kind, Message = text, SourceId = sourceId,
        });
        Changed.Add(deviceId);
    }

    /// <summary>
    /// The approved device that sent <paramref name="message"/>, or null (logged once per message): the broker only
    /// lets approved devices in, so this is a device removed or reset while connected.
    /// </summary>
    public async Task<Device?> DeviceAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (Guid.TryParseExact(message.Id, "N", out var id)
            && await db.Devices.FindAsync([id], cancellationToken) is { State: EnrollmentState.Approved } device)
        {
            return device;
        }

        Ignore(message);
        return null;
    }

    /// <summary>Logs, once per message, that it came from a device removed or reset while connected.</summary>
    public void Ignore(InboundMessage message)
    {
        if (_unknown.Add(message))
        {
            logger.LogWarning(
                "{Kind} from unknown or unapproved device {DeviceId:N} ignored", message.Kind, message.Id);
        }
    }

    /// <summary>
    /// The message's JSON payload as <typeparamref name="T"/>, read once however many handlers ask; false (logged
    /// once, with the place of the error) when it is malformed or null.
    /// </summary>
    public bool TryRead<T>(InboundMessage message, JsonTypeInfo<T> type, out T value)
        where T : class
    {
        if (!_read.TryGetValue(message, out var read))
        {
            _read[message] = read = Read(message, type);
        }

        value = (read as T)!;
        return read is T;
    }

    private T? Read<T>(InboundMessage message, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            if (JsonSerializer.Deserialize(message.Payload.Span, type) is { } parsed)
            {
                return parsed;
            }

            logger.LogWarning("{Kind} from {Id} dropped: payload is JSON null", message.Kind, message.Id);
        }
        catch (JsonException ex)
        {
            logger.LogWarning("{Kind} from {Id} dropped: malformed JSON at {Path} (line {Line}, byte {Byte}): {Error}",
                message.Kind, message.Id, ex.Path ?? "$", ex.LineNumber, ex.BytePositionInLine, ex.Message);
        }

        return null;
    }
}
