using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Devices;

/// <summary>What pages (and later the API) do with devices: list, inspect, approve, reject.</summary>
public sealed class DeviceService(
    IDbContextFactory<FleetDbContext> dbFactory,
    IDevicePublisher publisher,
    DeviceNotifier notifier,
    ActorAuthorizer authorizer,
    AuditLog audit,
    DeviceCredentials credentials,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<DeviceOptions> options,
    ILogger<DeviceService> logger)
{
    public async Task<DevicePage> ListAsync(DeviceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var devices = Filter(db, query);
        var total = await devices.CountAsync(cancellationToken);
        var rows = await Sort(devices, query.SortBy, query.Descending)
            .Skip(Math.Max(0, query.Skip))
            .Take(Math.Clamp(query.Take, 1, 500))
            .Select(ToRow)
            .ToListAsync(cancellationToken);
        return new DevicePage(await WithLabelsAsync(db, rows, cancellationToken), total);
    }

    /// <summary>The Devices page's next page in the default order: the rows after <paramref name="after"/> by key, and the filtered total.</summary>
    public async Task<DevicePage> ListAfterAsync(DeviceQuery query, DeviceCursor after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (rows, _) = await ListAfterAsync(query, after, query.Take, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return new DevicePage(rows, await Filter(db, query).CountAsync(cancellationToken));
    }

    /// <summary>
    /// Keyset page for the API: newest first, stable under inserts (a cursor names the last row seen,
    /// not an offset), so a client walking 100,000 devices never skips or repeats one.
    /// </summary>
    public async Task<(IReadOnlyList<DeviceRow> Rows, DeviceCursor? Next)> ListAfterAsync(DeviceQuery query, DeviceCursor? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        limit = Math.Clamp(limit, 1, 500);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var devices = Filter(db, query);
        if (after is { } cursor)
        {
            devices = devices.Where(d => d.FirstSeenAt < cursor.FirstSeenAt || (d.FirstSeenAt == cursor.FirstSeenAt && d.Id.CompareTo(cursor.Id) < 0));
        }

        var rows = await devices.OrderByDescending(d => d.FirstSeenAt).ThenByDescending(d => d.Id)
            .Take(limit + 1)
            .Select(ToRow)
            .ToListAsync(cancellationToken);
        var next = rows.Count > limit ? new DeviceCursor(rows[limit - 1].FirstSeenAt, rows[limit - 1].Id) : (DeviceCursor?)null;
        return (await WithLabelsAsync(db, [.. rows.Take(limit)], cancellationToken), next);
    }

    /// <summary>
    /// Every device matching <paramref name="query"/> (its search, filters and sort; paging ignored), a chunk
    /// at a time, labels included: what the CSV export writes.
    /// </summary>
    public async IAsyncEnumerable<DeviceRow> ExportAsync(
        DeviceQuery query,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        const int Chunk = 500;
        for (var skip = 0; ; skip += Chunk)
        {
            var page = await ListAsync(query with { Skip = skip, Take = Chunk }, cancellationToken);
            foreach (var row in page.Rows)
            {
                yield return row;
            }

            if (page.Rows.Count < Chunk)
            {
                yield break;
            }
        }
    }

    private static async Task<IReadOnlyList<DeviceRow>> WithLabelsAsync(
        FleetDbContext db, List<DeviceRow> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var variables = await db.DeviceVariables.AsNoTracking()
            .Where(v => ids.Contains(v.DeviceId) && !v.IsSecret && v.Name.StartsWith(DeviceLabels.VariablePrefix))
            .Select(v => new { v.DeviceId, v.Name, v.Value })
            .ToListAsync(cancellationToken);
        if (variables.Count == 0)
        {
            return rows;
        }

        var byDevice = variables.ToLookup(v => v.DeviceId, v => DeviceLabels.FromVariable(v.Name, v.Value, false)!);
        return [.. rows.Select(r =>
            r with { Labels = [.. byDevice[r.Id].OrderBy(l => l.Name, StringComparer.Ordinal)] })];
    }

    private static readonly System.Linq.Expressions.Expression<Func<Device, DeviceRow>> ToRow = d =>
        new DeviceRow(d.Id, d.Hostname, d.PrimaryMac, d.Architecture, d.OsName, d.State, d.IsOnline, d.LastSeenAt, d.FirstSeenAt, d.Conflict);

    private static IQueryable<Device> Filter(FleetDbContext db, DeviceQuery query)
    {
        var devices = db.Devices.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            var mac = MacAddress.TryNormalize(term, out var normalized) ? normalized : term.ToLowerInvariant();
            var pattern = SqlLike.Containing(term);
            var macPattern = SqlLike.Containing(mac);
            devices = devices.Where(d =>
                EF.Functions.Like(d.Hostname, pattern, SqlLike.Escape)
                || EF.Functions.Like(d.MachineId, pattern, SqlLike.Escape)
                || EF.Functions.Like(d.OsName, pattern, SqlLike.Escape)
                || (d.SerialNumber != null && EF.Functions.Like(d.SerialNumber, pattern, SqlLike.Escape))
                || (d.LastAddress != null && d.LastAddress == term)
                || d.Macs.Any(m => EF.Functions.Like(m.Mac, macPattern, SqlLike.Escape)));
        }

        devices = query.Status switch
        {
            DeviceStatusFilter.Pending => devices.Where(d => d.State == EnrollmentState.Pending),
            DeviceStatusFilter.Approved => devices.Where(d => d.State == EnrollmentState.Approved),
            DeviceStatusFilter.Rejected => devices.Where(d => d.State == EnrollmentState.Rejected),
            DeviceStatusFilter.Online => devices.Where(d => d.State == EnrollmentState.Approved && d.IsOnline),
            DeviceStatusFilter.Offline => devices.Where(d => d.State == EnrollmentState.Approved && !d.IsOnline),
            _ => devices,
        };

        if (!string.IsNullOrWhiteSpace(query.Architecture))
        {
            devices = devices.Where(d => d.Architecture == query.Architecture);
        }

        if (!string.IsNullOrWhiteSpace(query.Label))
        {
            // NAME matches the label whatever its value; NAME=VALUE only that value. Unparseable matches nothing.
            var wanted = DeviceLabels.TryParse(query.Label, out var label, out _) ? label : new DeviceLabel("=", "");
            var name = DeviceLabels.VariableName(wanted.Name);
            var anyValue = !query.Label.Contains('=', StringComparison.Ordinal);
            devices = devices.Where(d => db.DeviceVariables.Any(v =>
                v.DeviceId == d.Id && v.Name == name && !v.IsSecret && (anyValue || v.Value == wanted.Value)));
        }

        return devices;
    }

    public async Task<FleetCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await db.Devices.AsNoTracking()
            .GroupBy(d => new { d.State, d.IsOnline })
            .Select(g => new { g.Key.State, g.Key.IsOnline, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Sum(Func<EnrollmentState, bool, bool> match) => groups.Where(g => match(g.State, g.IsOnline)).Sum(g => g.Count);
        return new FleetCounts(
            Sum((_, _) => true),
            Sum((s, _) => s == EnrollmentState.Pending),
            Sum((s, o) => s == EnrollmentState.Approved && o),
            Sum((s, o) => s == EnrollmentState.Approved && !o),
            Sum((s, _) => s == EnrollmentState.Rejected));
    }

    public async Task<DeviceDetails?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Include(d => d.Macs).SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return null;
        }

        var heartbeats = await db.Heartbeats.AsNoTracking().Where(h => h.DeviceId == id)
            .OrderByDescending(h => h.ReceivedAt).Take(20).ToListAsync(cancellationToken);
        var events = await db.DeviceEvents.AsNoTracking().Where(e => e.DeviceId == id)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(50).ToListAsync(cancellationToken);
        var osRelease = JsonSerializer.Deserialize(device.OsReleaseJson, OsReleaseJson.Default.IReadOnlyDictionaryStringString)
            ?? new Dictionary<string, string>();
        return new DeviceDetails(device, osRelease, heartbeats, events);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> ApproveAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        DecideAsync(id, actor, approve: true, cancellationToken);

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> RejectAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        DecideAsync(id, actor, approve: false, cancellationToken);

    /// <summary>Decides several devices; each is decided on its own, so one already decided does not stop the rest.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<IReadOnlyDictionary<Guid, Outcome>> DecideManyAsync(
        IEnumerable<Guid> ids, Actor actor, bool approve, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var results = new Dictionary<Guid, Outcome>();
        foreach (var id in ids.Distinct())
        {
            results[id] = await DecideAsync(id, actor, approve, cancellationToken);
        }

        return results;
    }

    /// <summary>
    /// Undoes a rejection: the device is Pending again and waits for a person (no enrolment policy approves it
    /// on its own, as after a revoke); it is told so, and asks again within the pending retry interval.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> UndoRejectAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        DecideAsync(id, actor, Decision.UndoReject, cancellationToken);

    private enum Decision
    {
        Approve,
        Reject,
        UndoReject,
    }

    private Task<Outcome> DecideAsync(Guid id, Actor actor, bool approve, CancellationToken cancellationToken) =>
        DecideAsync(id, actor, approve ? Decision.Approve : Decision.Reject, cancellationToken);

    private async Task<Outcome> DecideAsync(
        Guid id, Actor actor, Decision decision, CancellationToken cancellationToken)
    {
        var action = decision switch
        {
            Decision.Approve => "device.approve",
            Decision.Reject => "device.reject",
            _ => "device.reject.undo",
        };
        if (!await authorizer.AllowedAsync(
                actor, Policies.ManageDevices, action, "device", id.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not approve or reject devices.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return Outcome.NotFound($"There is no device with id {id:N}.");
        }

        var undo = decision == Decision.UndoReject;
        if (device.State != (undo ? EnrollmentState.Rejected : EnrollmentState.Pending))
        {
            return Outcome.Conflict(undo
                ? $"{device.Hostname} is {DeviceStatusText.Of(device)}, not Rejected: nothing to undo."
                : $"Device {id:N} was already approved or rejected; decisions are made once.");
        }

        var now = time.GetUtcNow();
        var before = Summary(device);
        device.State = decision switch
        {
            Decision.Approve => EnrollmentState.Approved,
            Decision.Reject => EnrollmentState.Rejected,
            _ => EnrollmentState.Pending,   // decided: no policy approves it on its own, a person must
        };
        device.DecidedAt = now;
        device.DecidedBy = actor.Name;
        var response = decision switch
        {
            Decision.Approve => credentials.Issue(device, enrollmentKey: null, now),
            Decision.Reject => new EnrollmentResponse(
                EnrollmentDecision.Rejected, Reason: $"rejected by {actor.Name}", RetryAfterSeconds: 600),
            _ => new EnrollmentResponse(
                EnrollmentDecision.Pending,
                Reason: $"rejection undone by {actor.Name}; waiting for a person",
                RetryAfterSeconds: options.Value.PendingRetrySeconds),
        };
        var text = decision switch
        {
            Decision.Approve => $"Approved by {actor.Name}",
            Decision.Reject => $"Rejected by {actor.Name}",
            _ => $"Rejection undone by {actor.Name}; waiting for a person",
        };

        db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = now, Kind = "decision", Message = text });
        audit.Add(db, actor, action, "device", id.ToString("N"), before,
            Summary(device) + (decision == Decision.Approve ? ", credential issued" : string.Empty));
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Device {DeviceId:N} ({Hostname}): {Decision}", id, device.Hostname, text);

        // Sent after the commit; if the agent is not listening it asks again and gets a fresh answer.
        await publisher.PublishAsync(
            Topics.EnrollmentResponse(device.EnrollmentId),
            JsonSerializer.SerializeToUtf8Bytes(response, FleetJson.Default.EnrollmentResponse),
            cancellationToken);
        notifier.Notify([id]);
        return Outcome.Done;
    }

    /// <summary>What the audit log keeps of a device: enough to recognise it, never its credential.</summary>
    internal static string Summary(Device device) =>
        $"{device.Hostname} ({device.PrimaryMac}, machine-id {device.MachineId}): {device.State}";

    private static IQueryable<Device> Sort(IQueryable<Device> devices, string sortBy, bool descending) => (sortBy, descending) switch
    {
        ("hostname", false) => devices.OrderBy(d => d.Hostname).ThenBy(d => d.Id),
        ("hostname", true) => devices.OrderByDescending(d => d.Hostname).ThenBy(d => d.Id),
        ("mac", false) => devices.OrderBy(d => d.PrimaryMac).ThenBy(d => d.Id),
        ("mac", true) => devices.OrderByDescending(d => d.PrimaryMac).ThenBy(d => d.Id),
        ("arch", false) => devices.OrderBy(d => d.Architecture).ThenBy(d => d.Hostname),
        ("arch", true) => devices.OrderByDescending(d => d.Architecture).ThenBy(d => d.Hostname),
        ("os", false) => devices.OrderBy(d => d.OsName).ThenBy(d => d.Hostname),
        ("os", true) => devices.OrderByDescending(d => d.OsName).ThenBy(d => d.Hostname),
        ("status", false) => devices.OrderBy(d => d.State).ThenBy(d => d.IsOnline).ThenBy(d => d.Hostname),
        ("status", true) => devices.OrderByDescending(d => d.State).ThenByDescending(d => d.IsOnline).ThenBy(d => d.Hostname),
        ("lastSeen", false) => devices.OrderBy(d => d.LastSeenAt).ThenBy(d => d.Id),
        ("lastSeen", true) => devices.OrderByDescending(d => d.LastSeenAt).ThenBy(d => d.Id),
        (_, false) => devices.OrderBy(d => d.FirstSeenAt).ThenBy(d => d.Id),
        _ => devices.OrderByDescending(d => d.FirstSeenAt).ThenBy(d => d.Id),
    };
}

/// <summary>Everything the detail page shows.</summary>
public sealed record DeviceDetails(
    Device Device,
    IReadOnlyDictionary<string, string> OsRelease,
    IReadOnlyList<HeartbeatRecord> Heartbeats,
    IReadOnlyList<DeviceEvent> Events);

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class OsReleaseJson : System.Text.Json.Serialization.JsonSerializerContext;
