using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Fleet.Portal.Data;

/// <summary>
/// Keeps <see cref="Device.NodeUuid"/> in step with <see cref="Device.MachineId"/> on every
/// save, wherever the device is written (enrolment, re-enrolment, tests), so the graph endpoint can
/// find a device by the UUID Zincati sends with one indexed lookup.
/// </summary>
internal sealed class NodeUuidStamp : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <summary>Stamps the tracked devices that need it; for callers that save without <c>SaveChanges</c> (the ingest writer's prepared writes).</summary>
    internal static void Stamp(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        // Entries() detects changes first (interceptors run before SaveChanges does), so a changed machine-id is seen.
        // Heartbeats modify devices all the time: only a new device, a new machine-id or a missing UUID needs the HMAC.
        foreach (var entry in context.ChangeTracker.Entries<Device>())
        {
            if (entry.State == EntityState.Added
                || (entry.State == EntityState.Modified
                    && (entry.Property(d => d.MachineId).IsModified || entry.Entity.NodeUuid is null)))
            {
                var uuid = NodeUuid.FromMachineId(entry.Entity.MachineId);
                if (entry.Entity.NodeUuid != uuid)
                {
                    // Marked modified even where changes are not detected again.
                    entry.Property(d => d.NodeUuid).CurrentValue = uuid;
                }
            }
        }
    }
}
