using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Gives devices enrolled before node UUIDs were stored their <see cref="Device.NodeUuid"/>.
/// Runs at start-up after the database initializer (hosted services start in registration order).
/// </summary>
internal sealed class UpdatesInitializer(IDbContextFactory<FleetDbContext> dbFactory, ILogger<UpdatesInitializer> logger) : IHostedService
{
    private const int Batch = 1000;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var filled = 0;
        var lastId = Guid.Empty;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var devices = await db.Devices.Where(d => d.NodeUuid == null && d.Id.CompareTo(lastId) > 0)
                .OrderBy(d => d.Id).Take(Batch).ToListAsync(cancellationToken);
            if (devices.Count == 0)
            {
                break;
            }

            foreach (var device in devices)
            {
                device.NodeUuid = NodeUuid.FromMachineId(device.MachineId);
                filled += device.NodeUuid is null ? 0 : 1;
            }

            await db.SaveChangesAsync(cancellationToken);
            lastId = devices[^1].Id;
        }

        if (filled > 0)
        {
            logger.LogInformation("Computed the Zincati node UUID of {Count} device(s)", filled);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
