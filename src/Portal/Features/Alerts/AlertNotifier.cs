using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// The count of open alerts, kept in memory and pushed to every open page (the app bar badge, the
/// dashboard, the alert list) whenever alerts fire, clear or are resolved.
/// </summary>
public sealed class AlertNotifier
{
    private int _open = -1;

    public event Action<int>? Changed;

    /// <summary>Open alerts; -1 until first counted.</summary>
    public int OpenCount => Volatile.Read(ref _open);

    public async Task RefreshAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var count = await db.Alerts.CountAsync(a => a.IsOpen, cancellationToken);
        Volatile.Write(ref _open, count);
        Changed?.Invoke(count);
    }

    public async Task<int> GetOpenCountAsync(IDbContextFactory<FleetDbContext> dbFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dbFactory);
        if (OpenCount < 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            Volatile.Write(ref _open, await db.Alerts.CountAsync(a => a.IsOpen, cancellationToken));
        }

        return OpenCount;
    }
}
