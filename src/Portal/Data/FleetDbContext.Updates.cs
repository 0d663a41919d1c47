using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>The update-management tables; their configuration is in Features/Updates/Model.</summary>
public sealed partial class FleetDbContext
{
    public DbSet<UpdateStream> UpdateStreams => Set<UpdateStream>();

    public DbSet<Release> Releases => Set<Release>();

    public DbSet<ReleaseArchitecture> ReleaseArchitectures => Set<ReleaseArchitecture>();

    public DbSet<DeviceGroup> DeviceGroups => Set<DeviceGroup>();

    public DbSet<FleetLockHolder> FleetLockHolders => Set<FleetLockHolder>();

    public DbSet<UpdateSettings> UpdateSettings => Set<UpdateSettings>();

    public DbSet<RolloutOutcome> RolloutOutcomes => Set<RolloutOutcome>();
}
