using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// How many devices run each version of a stream, for the rollout view: the booted version each device
/// states in its deployment reports.
/// </summary>
public sealed class DeploymentCounts(IDbContextFactory<FleetDbContext> dbFactory)
{
    /// <summary>
    /// Devices assigned to <paramref name="stream"/> (<see cref="UpdateAssignments.DevicesOnStream"/>) by the
    /// version they booted; versions with none are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> CountByVersionAsync(
        string stream,
        CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var defaultStream = await UpdateAssignments.DefaultStreamAsync(db, cancellationToken);
        return await UpdateAssignments.DevicesOnStream(db, stream, defaultStream)
            .Where(d => d.BootedVersion != null)
            .GroupBy(d => d.BootedVersion!)
            .Select(g => new { Version = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Version, g => g.Count, cancellationToken);
    }
}

/// <summary>Queries over who is assigned to what, in SQL, for the rollout view and deployment counts.</summary>
public static class UpdateAssignments
{
    /// <summary>
    /// Approved devices whose assigned stream is <paramref name="stream"/>: their own override, else their
    /// group's (the default group when they have none), else <paramref name="defaultStream"/>.
    /// </summary>
    public static IQueryable<Device> DevicesOnStream(FleetDbContext db, string stream, string defaultStream)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Approved(db).Where(d => (d.UpdateStreamOverride
                ?? db.DeviceGroups.Where(g => g.Id == (d.GroupId ?? DeviceGroup.DefaultId))
                    .Select(g => g.StreamOverride).FirstOrDefault()
                ?? defaultStream) == stream);
    }

    /// <summary>
    /// Approved devices of a group (the default group: also those in none), as a config assignment counts them;
    /// the groups page counts <see cref="Approved"/> by group and the rollout view those on its stream, so the
    /// three agree.
    /// </summary>
    public static IQueryable<Device> DevicesInGroup(FleetDbContext db, int groupId) =>
        Approved(db).Where(d => (d.GroupId ?? DeviceGroup.DefaultId) == groupId);

    /// <summary>The devices a group, a stream or an assignment counts: approved ones (pending and rejected devices
    /// are in a group too, but are served nothing).</summary>
    public static IQueryable<Device> Approved(FleetDbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Devices.Where(d => d.State == EnrollmentState.Approved);
    }

    /// <summary>The fleet default stream, for <see cref="DevicesOnStream"/>.</summary>
    public static async Task<string> DefaultStreamAsync(
        FleetDbContext db,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.UpdateSettings.AsNoTracking().Select(s => s.DefaultStream).SingleAsync(cancellationToken);
    }
}
