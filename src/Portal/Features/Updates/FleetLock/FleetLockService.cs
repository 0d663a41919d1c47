using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates.FleetLock;

/// <summary>
/// The FleetLock reboot semaphore (coreos/zincati docs/development/fleetlock/protocol.md), one per
/// <see cref="DeviceGroup"/>: <see cref="DeviceGroup.FleetLockSlots"/> slots, recursive lock and
/// unlock-if-held like the reference server airlock (internal/lock/semaphore.go), plus the group's
/// maintenance window. Holders are rows; the count and insert run in one immediate SQLite transaction
/// and two unique indexes back it up, so racing nodes cannot take more slots than there are.
/// </summary>
public sealed class FleetLockService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    TimeProvider time,
    ILogger<FleetLockService> logger)
{
    // Kinds: airlock's for identity and group (internal/server/pre_reboot.go); Zincati's documented example for a full semaphore.
    public const string InvalidClientIdentity = "invalid_client_identity";
    public const string UnknownGroup = "unknown_group";
    public const string SemaphoreFull = "failed_lock_semaphore_full";
    public const string OutsideMaintenanceWindow = "outside_maintenance_window";
    public const string FailedLock = "failed_lock";

    /// <summary><c>RecursiveLock</c>: take a slot, or succeed when this node already holds one.</summary>
    public async Task<Outcome> PreRebootAsync(
        string nodeId, string groupName, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryLockAsync(nodeId, groupName, cancellationToken);
            }
            catch (DbUpdateException e) when (attempt < 3)
            {
                // A unique index refused a second holder (a race the transaction did not serialise): look again.
                logger.LogDebug(e, "FleetLock race for {Group}, retrying", groupName);
            }
            catch (DbUpdateException e)
            {
                logger.LogError(e, "FleetLock: could not lock a slot of {Group} for {NodeId}", groupName, nodeId);
                return Outcome.Unavailable("failed to lock semaphore") with { Code = FailedLock };
            }
        }
    }

    private async Task<Outcome> TryLockAsync(string nodeId, string groupName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Microsoft.Data.Sqlite begins transactions IMMEDIATE: the write lock is taken here, so a second
        // request for the same semaphore waits until this one has committed and then sees its holder.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var group = await db.DeviceGroups.SingleOrDefaultAsync(g => g.Name == groupName, cancellationToken);
        if (group is null)
        {
            return UnknownGroupAnswer(groupName);
        }

        var holders = await db.FleetLockHolders.Where(h => h.GroupId == group.Id).ToListAsync(cancellationToken);
        if (holders.Any(h => h.NodeId == nodeId))
        {
            return Outcome.Done;
        }

        if (group.Window is { } window && !window.IsOpen(now))
        {
            return Outcome.Conflict(
                    $"group '{group.Name}' reboots only in its maintenance window ({window})")
                with { Code = OutsideMaintenanceWindow };
        }

        var taken = holders.Select(h => h.Slot).ToHashSet();
        var free = Enumerable.Range(0, group.FleetLockSlots).Where(s => !taken.Contains(s)).Select(s => (int?)s).FirstOrDefault();
        if (holders.Count >= group.FleetLockSlots || free is null)
        {
            return Outcome.Conflict(
                    $"all {group.FleetLockSlots} semaphore slots of group '{group.Name}' currently locked")
                with { Code = SemaphoreFull };
        }

        db.FleetLockHolders.Add(new FleetLockHolder { GroupId = group.Id, NodeId = nodeId, Slot = free.Value, AcquiredAt = now });
        await AddDeviceEventAsync(db, nodeId, now, $"Took reboot slot {free.Value + 1} of {group.FleetLockSlots} in group {group.Name}", cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("FleetLock: {NodeId} took slot {Slot} of group {Group}", nodeId, free.Value, group.Name);
        return Outcome.Done;
    }

    /// <summary><c>UnlockIfHeld</c>: release this node's slot; success also when it held none.</summary>
    public async Task<Outcome> SteadyStateAsync(
        string nodeId, string groupName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var group = await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Name == groupName, cancellationToken);
        if (group is null)
        {
            return UnknownGroupAnswer(groupName);
        }

        var holder = await db.FleetLockHolders.SingleOrDefaultAsync(h => h.GroupId == group.Id && h.NodeId == nodeId, cancellationToken);
        if (holder is not null)
        {
            db.FleetLockHolders.Remove(holder);
            await AddDeviceEventAsync(db, nodeId, time.GetUtcNow(), $"Released its reboot slot in group {group.Name}", cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("FleetLock: {NodeId} released slot {Slot} of group {Group}", nodeId, holder.Slot, group.Name);
        }

        return Outcome.Done;
    }

    /// <summary>Current holders, oldest first; of one group or of all.</summary>
    public async Task<IReadOnlyList<LockHolderRow>> ListHoldersAsync(int? groupId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (from h in db.FleetLockHolders.AsNoTracking()
                          join g in db.DeviceGroups.AsNoTracking() on h.GroupId equals g.Id
                          where groupId == null || h.GroupId == groupId
                          select new { h, g.Name }).ToListAsync(cancellationToken);
        var ids = rows.Select(r => NodeUuid.Normalize(r.h.NodeId)).OfType<string>().Distinct().ToList();
        var devices = await db.Devices.AsNoTracking().Where(d => d.NodeUuid != null && ids.Contains(d.NodeUuid))
            .Select(d => new { d.Id, d.Hostname, d.NodeUuid }).ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.h.AcquiredAt).ThenBy(r => r.h.Slot).Select(r =>
        {
            var device = devices.FirstOrDefault(d => d.NodeUuid == NodeUuid.Normalize(r.h.NodeId));
            return new LockHolderRow(r.h.GroupId, r.Name, r.h.NodeId, r.h.Slot, r.h.AcquiredAt, device?.Id, device?.Hostname);
        })];
    }

    /// <summary>
    /// Frees a slot a node still holds, for a node that died or was re-installed mid-update and will
    /// never report steady state. Audited: the next node may reboot at once.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> ReleaseAsync(
        int groupId, string nodeId, Actor actor, CancellationToken cancellationToken = default)
    {
        var entityId = $"{groupId}/{nodeId}";
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "fleetlock.release", "fleetlock", entityId, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change update settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var group = await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken);
        var holder = group is null ? null : await db.FleetLockHolders.SingleOrDefaultAsync(h => h.GroupId == groupId && h.NodeId == nodeId, cancellationToken);
        if (group is null || holder is null)
        {
            return Outcome.NotFound($"Node {nodeId} holds no reboot slot in that group.");
        }

        db.FleetLockHolders.Remove(holder);
        audit.Add(db, actor, "fleetlock.release", "fleetlock", $"{group.Name}/{nodeId}",
            before: $"{nodeId} holds slot {holder.Slot + 1} of {group.FleetLockSlots} in {group.Name} since {holder.AcquiredAt:u}",
            after: "released");
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("FleetLock: slot of {NodeId} in group {Group} released by {Actor}", nodeId, group.Name, actor.Name);
        return Outcome.Done;
    }

    private static Outcome UnknownGroupAnswer(string groupName) =>
        Outcome.Invalid("group", $"unknown group \"{groupName}\"") with { Code = UnknownGroup };

    /// <summary>Puts the lock on the device's timeline when the node is an enrolled device.</summary>
    private static async Task AddDeviceEventAsync(FleetDbContext db, string nodeId, DateTimeOffset now, string message, CancellationToken cancellationToken)
    {
        var uuid = NodeUuid.Normalize(nodeId);
        if (uuid is null)
        {
            return;
        }

        var deviceIds = await db.Devices
            .Where(d => d.NodeUuid == uuid)
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        foreach (var id in deviceIds)
        {
            db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = now, Kind = "fleetlock", Message = message });
        }
    }
}
