using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Health;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Applies one batch of inbound messages to one <see cref="FleetDbContext"/>. Nothing is written
/// until the pipeline calls SaveChanges; replies to devices wait in <see cref="Outbox"/> until then,
/// so a device never receives a credential the database does not know.
/// </summary>
internal sealed class DeviceMessageProcessor(
    FleetDbContext db,
    EnrollmentDecider enrollment,
    IUpdatePolicyProvider policies,
    IOptions<DeviceOptions> options,
    HealthBatch health,
    ILogger logger)
{
    public List<(string Topic, byte[] Payload)> Outbox { get; } = [];

    /// <summary>Devices whose credential this batch revoked: their live MQTT session ends after the commit.</summary>
    public HashSet<Guid> EndSessions { get; } = [];

    /// <summary>Devices whose record changed (enrolment, update events): see <see cref="DeviceNotifier.Notify"/>.</summary>
    public HashSet<Guid> Changed { get; } = [];

    private readonly Dictionary<Guid, (EnrollmentState State, bool IsOnline)> _reporting = [];

    /// <summary>Devices that only sent telemetry (health, heartbeats, reports, presence): see <see cref="DeviceNotifier.NotifyTelemetry"/>.</summary>
    public HashSet<Guid> Reported { get; } = [];

    /// <summary>Update outcomes to hand to <see cref="IUpdateOutcomeSink"/> once the batch is committed.</summary>
    public List<(Guid DeviceId, string Version, UpdateOutcome Outcome)> Outcomes { get; } = [];

    /// <summary>
    /// Loads the devices a batch refers to in one query, so per-message lookups hit memory. Devices that only
    /// sent health reports are not loaded as entities: the batch needs just their state and presence.
    /// </summary>
    public async Task PreloadAsync(IEnumerable<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var tracked = new HashSet<Guid>();
        var reporting = new HashSet<Guid>();
        foreach (var message in batch)
        {
            if (message.Kind is InboundKind.EnrollmentRequest or InboundKind.PresenceSweep || !Guid.TryParseExact(message.Id, "N", out var id))
            {
                continue;
            }

            (message.Kind == InboundKind.Health ? reporting : tracked).Add(id);
        }

        if (tracked.Count > 0)
        {
            var ids = tracked.ToList();
            await db.Devices.Where(d => ids.Contains(d.Id)).LoadAsync(cancellationToken);
        }

        reporting.ExceptWith(tracked);
        if (reporting.Count > 0)
        {
            var ids = reporting.ToList();
            foreach (var d in await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id)).Select(d => new { d.Id, d.State, d.IsOnline }).ToListAsync(cancellationToken))
            {
                _reporting[d.Id] = (d.State, d.IsOnline);
            }

            // Those coming online get an event and a flag: loaded together, not one query each (after a restart, all of them).
            var comingOnline = _reporting.Where(r => r.Value is { State: EnrollmentState.Approved, IsOnline: false }).Select(r => r.Key).ToList();
            if (comingOnline.Count > 0)
            {
                await db.Devices.Where(d => comingOnline.Contains(d.Id)).LoadAsync(cancellationToken);
            }
        }

        await enrollment.PreloadAsync(batch, cancellationToken);
    }

    public async Task ProcessAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        switch (message.Kind)
        {
            case InboundKind.EnrollmentRequest:
                await enrollment.HandleAsync(message, this, cancellationToken);
                break;
            case InboundKind.Heartbeat:
                await HandleHeartbeatAsync(message, cancellationToken);
                break;
            case InboundKind.Status:
                await HandleStatusAsync(message, cancellationToken);
                break;
            case InboundKind.Deployments:
                await HandleDeploymentsAsync(message, cancellationToken);
                break;
            case InboundKind.ConfigReport:
                if (await FindDeviceAsync(message, cancellationToken) is { } reporter && TryRead(message, FleetJson.Default.ConfigReport, out var configReport))
                {
                    await Features.Configs.ConfigReports.ApplyAsync(db, reporter, configReport, message.ReceivedAt, logger, cancellationToken);
                    Reported.Add(reporter.Id);
                }

                break;
            case InboundKind.Health:
                await HandleHealthAsync(message, cancellationToken);
                break;
            case InboundKind.ConnectionLost:
                if (await FindDeviceAsync(message, cancellationToken) is { } lost)
                {
                    SetOnline(lost, false, message.ReceivedAt, "connection lost");
                }

                break;
            case InboundKind.PresenceSweep:
                await SweepAsync(message.ReceivedAt, cancellationToken);
                break;
        }
    }

    public void Reply(string topic, EnrollmentResponse response) =>
        Outbox.Add((topic, JsonSerializer.SerializeToUtf8Bytes(response, FleetJson.Default.EnrollmentResponse)));

    public void AddEvent(Guid deviceId, DateTimeOffset at, string kind, string text, string? sourceId = null)
    {
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = deviceId, At = at, Kind = kind, Message = text, SourceId = sourceId });
        Changed.Add(deviceId);
    }

    /// <summary>
    /// The hot path (thousands a second): a device preloaded only as (state, presence) is not tracked; its
    /// last-seen time goes to <see cref="HealthBatch.Seen"/>. Only a device coming online is loaded, for its event.
    /// </summary>
    private async Task HandleHealthAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(message.Id, "N", out var id) || !_reporting.TryGetValue(id, out var known))
        {
            // Tracked because the batch has other messages from it, or not preloaded at all (unknown).
            if (await FindDeviceAsync(message, cancellationToken) is { } device && health.Add(device.Id, message.Payload, message.ReceivedAt))
            {
                device.LastSeenAt = message.ReceivedAt;
                SetOnline(device, true, message.ReceivedAt, "health report received");
                Reported.Add(device.Id);
            }

            return;
        }

        if (known.State != EnrollmentState.Approved)
        {
            logger.LogWarning("{Kind} from unknown or unapproved device {DeviceId:N} ignored", message.Kind, message.Id);
            return;
        }

        if (!health.Add(id, message.Payload, message.ReceivedAt))
        {
            return;
        }

        health.Seen(id, message.ReceivedAt);
        Reported.Add(id);
        if (!known.IsOnline && await db.Devices.FindAsync([id], cancellationToken) is { } offline)
        {
            SetOnline(offline, true, message.ReceivedAt, "health report received");
            _reporting[id] = (known.State, true);
        }
    }

    private async Task HandleHeartbeatAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (!TryRead(message, FleetJson.Default.Heartbeat, out var heartbeat) || await FindDeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        if (!double.IsFinite(heartbeat.UptimeSeconds) || heartbeat.UptimeSeconds < 0 || heartbeat.UptimeSeconds > 3.2e9
            || !IsLoad(heartbeat.Load1) || !IsLoad(heartbeat.Load5) || !IsLoad(heartbeat.Load15) || heartbeat.Sequence < 0)
        {
            logger.LogWarning("Heartbeat from device {DeviceId:N} dropped: uptime, load or sequence out of range ({Heartbeat})", device.Id, heartbeat);
            return;
        }

        db.Heartbeats.Add(new HeartbeatRecord
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
        SetOnline(device, true, message.ReceivedAt, "heartbeat received");
        Reported.Add(device.Id);
    }

    private async Task HandleStatusAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (!TryRead(message, FleetJson.Default.DeviceStatus, out var status) || await FindDeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        if (status.State == DeviceState.Online)
        {
            device.LastSeenAt = message.ReceivedAt;
            device.LastAddress = message.Address ?? device.LastAddress;
            SetOnline(device, true, message.ReceivedAt, "connected");
            var settings = new DeviceSettings(options.Value.HeartbeatIntervalSeconds, await health.IntervalForAsync(db, device, cancellationToken));
            Outbox.Add((Topics.Settings(message.Id), JsonSerializer.SerializeToUtf8Bytes(settings, FleetJson.Default.DeviceSettings)));
            await AddUpdatePolicyAsync(device, message.Id, cancellationToken);
        }
        else
        {
            SetOnline(device, false, message.ReceivedAt, "went offline (will message or shutdown)");
        }
    }

    private async Task AddUpdatePolicyAsync(Device device, string topicId, CancellationToken cancellationToken)
    {
        try
        {
            var policy = await policies.GetPolicyAsync(device.Id, cancellationToken);
            Outbox.Add((Topics.UpdatePolicy(topicId), JsonSerializer.SerializeToUtf8Bytes(policy, FleetJson.Default.UpdatePolicy)));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The device keeps the policy it last received; failing the batch would only cost it its Online.
            logger.LogError(ex, "No update policy sent to device {DeviceId:N}: the policy provider failed", device.Id);
        }
    }

    private async Task HandleDeploymentsAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (!TryRead(message, FleetJson.Default.DeploymentReport, out var report) || await FindDeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        var errors = DeploymentReportValidator.Validate(report);
        if (errors.Count > 0)
        {
            logger.LogWarning("Deployment report from device {DeviceId:N} dropped: {Errors}", device.Id, string.Join("; ", errors));
            return;
        }

        // The agent re-sends an event until it sees it acknowledged; a late duplicate (a slow PUBACK, a reboot
        // in between) may arrive after newer events, so "already recorded" is checked by id, not by order.
        var eventId = report.Event?.Id;
        if (eventId is not null && await EventRecordedAsync(device.Id, eventId, cancellationToken))
        {
            report = report with { Event = null };
            eventId = null;
        }

        var applied = DeploymentReportApplier.Apply(device, report, message.ReceivedAt);
        foreach (var text in applied.Events)
        {
            AddEvent(device.Id, message.ReceivedAt, "update", text, eventId);
            eventId = null;
        }

        if (applied.Outcome is { } outcome)
        {
            Outcomes.Add((device.Id, outcome.Version, outcome.Outcome));
        }

        device.LastSeenAt = message.ReceivedAt;
        Reported.Add(device.Id);
    }

    private async Task SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddSeconds(-options.Value.OfflineTimeoutSeconds);
        var stale = await db.Devices.Where(d => d.IsOnline && d.LastSeenAt < cutoff).ToListAsync(cancellationToken);
        foreach (var device in stale)
        {
            SetOnline(device, false, now, $"not heard from for {options.Value.OfflineTimeoutSeconds} s");
        }
    }

    private void SetOnline(Device device, bool online, DateTimeOffset at, string why)
    {
        if (device.IsOnline == online)
        {
            return;
        }

        // Presence is telemetry: the record (what the device is, and so its rendered config) stays the same.
        device.IsOnline = online;
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = device.Id, At = at, Kind = online ? "online" : "offline", Message = online ? $"Online: {why}" : $"Offline: {why}" });
        Reported.Add(device.Id);
    }

    private async Task<Device?> FindDeviceAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if (Guid.TryParseExact(message.Id, "N", out var id) && await db.Devices.FindAsync([id], cancellationToken) is { State: EnrollmentState.Approved } device)
        {
            return device;
        }

        // The broker only lets approved devices in, so this is a device removed or reset while connected.
        logger.LogWarning("{Kind} from unknown or unapproved device {DeviceId:N} ignored", message.Kind, message.Id);
        return null;
    }

    private bool TryRead<T>(InboundMessage message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, out T value)
        where T : class
    {
        value = null!;
        try
        {
            var parsed = JsonSerializer.Deserialize(message.Payload.Span, type);
            if (parsed is not null)
            {
                value = parsed;
                return true;
            }

            logger.LogWarning("{Kind} from {Id} dropped: payload is JSON null", message.Kind, message.Id);
        }
        catch (JsonException ex)
        {
            logger.LogWarning("{Kind} from {Id} dropped: malformed JSON at {Path} (line {Line}, byte {Byte}): {Error}",
                message.Kind, message.Id, ex.Path ?? "$", ex.LineNumber, ex.BytePositionInLine, ex.Message);
        }

        return false;
    }

    private async Task<bool> EventRecordedAsync(Guid deviceId, string sourceId, CancellationToken cancellationToken) =>
        db.DeviceEvents.Local.Any(e => e.DeviceId == deviceId && e.SourceId == sourceId)
        || await db.DeviceEvents.AnyAsync(e => e.DeviceId == deviceId && e.SourceId == sourceId, cancellationToken);

    private static bool IsLoad(double value) => double.IsFinite(value) && value is >= 0 and < 1e6;
}
