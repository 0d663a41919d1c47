using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>Releases as an import would store them, and what the rollout guard counted.</summary>
public static class ReleaseFixtures
{
    /// <summary>Stores release <paramref name="version"/> in <paramref name="stream"/>, published now.</summary>
    public static async Task AddReleaseAsync(this PortalInstance portal, string stream, string version)
    {
        ArgumentNullException.ThrowIfNull(portal);
        await using var db = await portal.CreateDbAsync();
        var now = DateTimeOffset.UtcNow;
        db.Releases.Add(new Release { StreamName = stream, Version = version, PublishedAt = now, ImportedAt = now });
        await db.SaveChangesAsync();
    }

    /// <summary>The outcomes the rollout guard holds for a device: (release, succeeded).</summary>
    public static async Task<List<(string Version, bool Succeeded)>> RolloutOutcomesAsync(
        this PortalInstance portal, Guid deviceId)
    {
        ArgumentNullException.ThrowIfNull(portal);
        await using var db = await portal.CreateDbAsync();
        var rows = await db.RolloutOutcomes.AsNoTracking().Where(o => o.DeviceId == deviceId)
            .OrderBy(o => o.ReleaseVersion).Select(o => new { o.ReleaseVersion, o.Succeeded }).ToListAsync();
        return [.. rows.Select(r => (r.ReleaseVersion, r.Succeeded))];
    }
}
