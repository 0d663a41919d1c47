using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Portal.Features.Updates.FleetLock;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Streams, releases, groups and who follows what: what the update pages and the
/// <c>/api/v1/updates</c> endpoints read and change. Reads need no policy; every change takes an
/// <see cref="Actor"/>, is checked against <see cref="Policies.ManageDevices"/> and audited in the
/// same transaction. Imports are in <c>ReleaseImportService</c>, reboot slots in <see cref="FleetLockService"/>.
/// </summary>
public sealed partial class UpdateService(
    IDbContextFactory<FleetDbContext> dbFactory,
    FleetLockService locks,
    DeploymentCounts deployments,
    UpdateNotifier notifier,
    ActorAuthorizer authorizer,
    AuditLog audit,
    TimeProvider time,
    ILogger<UpdateService> logger)
{
    public async Task<UpdateSettings> GetSettingsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StreamRow>> ListStreamsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streams = await db.UpdateStreams.AsNoTracking().ToListAsync(cancellationToken);
        var stats = await db.Releases.AsNoTracking().GroupBy(r => r.StreamName)
            .Select(g => new { Stream = g.Key, Count = g.Count(), Newest = g.OrderByDescending(r => r.AgeIndex).Select(r => r.Version).FirstOrDefault() })
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return [.. streams
            .OrderByDescending(s => s.IsBuiltIn).ThenBy(s => s.IsBuiltIn ? UpdateStream.BuiltIn.ToList().IndexOf(s.Name) : 0).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Select(s =>
            {
                var stat = stats.FirstOrDefault(x => x.Stream == s.Name);
                return Row(s, stat?.Count ?? 0, stat?.Newest, settings, now);
            })];
    }

    /// <summary>A stream and its releases, newest first; null when there is no such stream.</summary>
    public async Task<StreamDetails?> GetStreamAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stream = await db.UpdateStreams.AsNoTracking().SingleOrDefaultAsync(s => s.Name == name, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var releases = await db.Releases.AsNoTracking().Include(r => r.Architectures).Where(r => r.StreamName == name)
            .OrderByDescending(r => r.AgeIndex).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return new StreamDetails(Row(stream, releases.Count, releases.FirstOrDefault()?.Version, settings, now), [.. releases.Select(r => Row(r, now))]);
    }

    public async Task<ReleaseRow?> GetReleaseAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var release = await db.Releases.AsNoTracking().Include(r => r.Architectures).SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return release is null ? null : Row(release, time.GetUtcNow());
    }

    public async Task<IReadOnlyList<GroupRow>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var groups = await db.DeviceGroups.AsNoTracking().OrderBy(g => g.Id == DeviceGroup.DefaultId ? 0 : 1).ThenBy(g => g.Name).ToListAsync(cancellationToken);
        var counts = await UpdateAssignments.Approved(db).AsNoTracking()
            .GroupBy(d => d.GroupId ?? DeviceGroup.DefaultId)
            .Select(g => new { GroupId = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var holders = await locks.ListHoldersAsync(null, cancellationToken);
        var now = time.GetUtcNow();
        return [.. groups.Select(g => new GroupRow(
            g.Id, g.Name, g.Description, g.StreamOverride, g.StreamOverride ?? settings.DefaultStream, PauseInfo.Of(g, now), g.PinnedVersion,
            g.FleetLockSlots, g.Window, g.Window?.IsOpen(now) ?? true, counts.FirstOrDefault(c => c.GroupId == g.Id)?.Count ?? 0,
            [.. holders.Where(h => h.GroupId == g.Id)], g.PasswordsAllowed))];
    }

    public async Task<GroupRow?> GetGroupAsync(int id, CancellationToken cancellationToken = default) =>
        (await ListGroupsAsync(cancellationToken)).FirstOrDefault(g => g.Id == id);

    /// <summary>Devices of a group (the default group: those in no other), for the assignment dialog.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Hostname)>> ListGroupDevicesAsync(int groupId, int take = 500, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Devices.AsNoTracking().Where(d => (d.GroupId ?? DeviceGroup.DefaultId) == groupId)
            .OrderBy(d => d.Hostname).Take(Math.Clamp(take, 1, 5000)).Select(d => new { d.Id, d.Hostname }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => (r.Id, r.Hostname))];
    }

    /// <summary>How the graph is computed for a device (see <see cref="UpdateGraphService"/>); null when there is no such device.</summary>
    public async Task<DeviceUpdatePlan?> GetDevicePlanAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null)
        {
            return null;
        }

        var group = await db.DeviceGroups.AsNoTracking().SingleAsync(g => g.Id == (device.GroupId ?? DeviceGroup.DefaultId), cancellationToken);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streamName = UpdatePlanner.AssignedStream(device, group, settings);
        var stream = await db.UpdateStreams.AsNoTracking().SingleOrDefaultAsync(s => s.Name == streamName, cancellationToken);
        var now = time.GetUtcNow();
        var (level, pause) = UpdatePlanner.PausedBy(device, group, stream, now);
        var (pinned, pinSource) = UpdatePlanner.Pin(device, group);
        var nodeUuid = device.NodeUuid ?? Fleet.Shared.NodeUuid.FromMachineId(device.MachineId);   // as DeviceText
        return new DeviceUpdatePlan(device.Id, device.Hostname, nodeUuid, group.Id, group.Name, streamName,
            UpdatePlanner.StreamSource(device, group), device.UpdateStreamOverride, PauseInfo.Of(device, now), level, pause?.PauseReason,
            device.PinnedVersion, pinned, pinSource);
    }

    /// <summary>Who follows a stream (by group) and, where devices report it, which version they run.</summary>
    public async Task<RolloutView?> GetRolloutAsync(string stream, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.UpdateStreams.AnyAsync(s => s.Name == stream, cancellationToken))
        {
            return null;
        }

        var defaultStream = await UpdateAssignments.DefaultStreamAsync(db, cancellationToken);
        var byGroup = await UpdateAssignments.DevicesOnStream(db, stream, defaultStream).AsNoTracking()
            .GroupBy(d => d.GroupId ?? DeviceGroup.DefaultId)
            .Select(g => new { GroupId = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var names = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var releases = await db.Releases.AsNoTracking().Where(r => r.StreamName == stream).OrderByDescending(r => r.AgeIndex).ToListAsync(cancellationToken);
        var counts = await deployments.CountByVersionAsync(stream, cancellationToken);
        var versionNames = releases.Select(r => r.Version).ToList();
        var outcomes = await db.RolloutOutcomes.AsNoTracking().Where(o => versionNames.Contains(o.ReleaseVersion))
            .GroupBy(o => new { o.ReleaseVersion, o.Succeeded })
            .Select(g => new { g.Key.ReleaseVersion, g.Key.Succeeded, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var statuses = await UpdateAssignments.DevicesOnStream(db, stream, defaultStream).AsNoTracking()
            .GroupBy(d => d.UpdateStatus)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        int Outcomes(string version, bool succeeded) => outcomes.Where(o => o.ReleaseVersion == version && o.Succeeded == succeeded).Sum(o => o.Count);
        var versions = releases.Select(r => new VersionCount(r.Version, r.AgeIndex, r.HasRollout,
            Rollout.Throttle(r, now), r.IsHalted, counts.GetValueOrDefault(r.Version),
            Outcomes(r.Version, true), Outcomes(r.Version, false))).ToList();
        var other = counts.Where(c => !releases.Any(r => r.Version == c.Key)).Sum(c => c.Value);
        return new RolloutView(
            stream,
            byGroup.Sum(g => g.Count),
            [.. byGroup.Select(g => new GroupCount(g.GroupId, names.GetValueOrDefault(g.GroupId, "?"), g.Count)).OrderBy(g => g.GroupName, StringComparer.Ordinal)],
            versions,
            other,
            statuses.ToDictionary(x => x.Status?.ToString() ?? "not reported", x => x.Count));
    }

    /// <summary>Every version of a stream, newest first: the choices for a pin.</summary>
    public async Task<IReadOnlyList<string>> ListVersionsAsync(string stream, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Releases.AsNoTracking().Where(r => r.StreamName == stream).OrderByDescending(r => r.AgeIndex)
            .Select(r => r.Version).ToListAsync(cancellationToken);
    }

    private static StreamRow Row(UpdateStream s, int releases, string? newest, UpdateSettings settings, DateTimeOffset now) =>
        new(s.Name, s.Description, s.IsBuiltIn, PauseInfo.Of(s, now), releases, newest, s.LastImportAt, s.LastImportBy, s.LatestByArchitecture, s.Name == settings.DefaultStream);

    internal static ReleaseRow Row(Release r, DateTimeOffset now) => new(
        r.Id, r.StreamName, r.Version, r.AgeIndex, r.PublishedAt, [.. r.Architectures.Select(a => a.Architecture).Order(StringComparer.Ordinal)],
        r.HasRollout, r.RolloutStartEpoch, r.RolloutStartPercentage, r.RolloutDurationMinutes, Rollout.Throttle(r, now),
        r.IsBarrier, r.BarrierReason, r.IsDeadEnd, r.DeadEndReason, r.IsHalted, r.HaltedAt, r.HaltReason, r.HaltedBy);

    /// <summary>
    /// The frame of every change: check the policy (a refusal is audited), run <paramref name="change"/> on a
    /// fresh context, and when it succeeds add its audit entry and commit both together.
    /// </summary>
    private async Task<Outcome> ChangeAsync(
        Actor actor,
        string action,
        string entityType,
        string? entityId,
        Func<FleetDbContext, DateTimeOffset, Task<(Outcome Change, string? Before, string? After)>> change,
        CancellationToken cancellationToken)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, action, entityType, entityId, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change update settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (result, before, after) = await change(db, time.GetUtcNow());
        if (!result.Succeeded || (before == after && before is not null))
        {
            return result;   // refused, or nothing to do: no audit entry for a change that did not happen
        }

        audit.Add(db, actor, action, entityType, entityId, before, after);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("{Action} on {EntityType} {EntityId} by {Actor}: {After}", action, entityType, entityId, actor.Name, after);
        notifier.Notify();
        return result;
    }
}
