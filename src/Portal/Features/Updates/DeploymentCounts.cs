using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// How many devices run each version of a stream. The rollout view asks this; the device agent's
/// deployment reports are what can answer it (the booted version of each device).
/// </summary>
public interface IDeploymentCounts
{
    /// <summary>Devices assigned to <paramref name="stream"/> (<see cref="UpdateAssignments.DevicesOnStream"/>) by the version they run; versions with none may be left out.</summary>
    Task<IReadOnlyDictionary<string, int>> CountByVersionAsync(string stream, CancellationToken cancellationToken = default);
}

/// <summary>
/// Counts nothing: the portal on its own does not know which version a device booted. The device
/// agent's deployment reports supply the real implementation, registered in place of this one.
/// </summary>
internal sealed class NoDeploymentCounts : IDeploymentCounts
{
    private static readonly IReadOnlyDictionary<string, int> None = new Dictionary<string, int>();

    public Task<IReadOnlyDictionary<string, int>> CountByVersionAsync(string stream, CancellationToken cancellationToken = default) => Task.FromResult(None);
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
        return db.Devices.Where(d => d.State == EnrollmentState.Approved
            && (d.UpdateStreamOverride
                ?? db.DeviceGroups.Where(g => g.Id == (d.GroupId ?? DeviceGroup.DefaultId)).Select(g => g.StreamOverride).FirstOrDefault()
                ?? defaultStream) == stream);
    }

    /// <summary>The fleet default stream, for <see cref="DevicesOnStream"/>.</summary>
    public static async Task<string> DefaultStreamAsync(FleetDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.UpdateSettings.AsNoTracking().Select(s => s.DefaultStream).SingleAsync(cancellationToken);
    }
}
