using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Devices;

/// <summary>A person's own named Devices-page filters. They change no device, so every role may keep some.</summary>
public sealed class SavedDeviceFilterService(IDbContextFactory<FleetDbContext> dbFactory)
{
    /// <summary>Most filters one person keeps.</summary>
    public const int MaxPerUser = 50;

    private const string OwnOnly = "reads and changes the caller's own saved filters, no device";

    [NoPolicy(OwnOnly)]
    public async Task<IReadOnlyList<SavedDeviceFilter>> ListAsync(
        Actor owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.SavedDeviceFilters.AsNoTracking()
            .Where(f => f.Owner == owner.Name)
            .OrderBy(f => f.Name)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Saves <paramref name="query"/> under <paramref name="name"/>, replacing the owner's filter of that name.
    /// </summary>
    [NoPolicy(OwnOnly)]
    public async Task<Outcome> SaveAsync(
        Actor owner, string? name, string query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(query);
        name = name?.Trim() ?? string.Empty;
        if (name.Length is 0 or > SavedDeviceFilter.MaxNameLength)
        {
            return Outcome.Invalid("name", $"A name of 1 to {SavedDeviceFilter.MaxNameLength} characters.");
        }

        query = query.TrimStart('?');
        if (query.Length > SavedDeviceFilter.MaxQueryLength)
        {
            return Outcome.Invalid("query", $"A filter of at most {SavedDeviceFilter.MaxQueryLength} characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mine = await db.SavedDeviceFilters.Where(f => f.Owner == owner.Name).ToListAsync(cancellationToken);
        if (mine.SingleOrDefault(f => f.Name == name) is { } existing)
        {
            existing.Query = query;
        }
        else if (mine.Count >= MaxPerUser)
        {
            return Outcome.Invalid("name", $"At most {MaxPerUser} saved filters; delete one first.");
        }
        else
        {
            db.SavedDeviceFilters.Add(new SavedDeviceFilter { Owner = owner.Name, Name = name, Query = query });
        }

        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Done;
    }

    [NoPolicy(OwnOnly)]
    public async Task<Outcome> DeleteAsync(Actor owner, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deleted = await db.SavedDeviceFilters
            .Where(f => f.Owner == owner.Name && f.Name == name)
            .ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? Outcome.NotFound($"You have no saved filter '{name}'.") : Outcome.Done;
    }
}
