using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Health;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>Health telemetry and alerts; their configuration is in Features/Health and Features/Alerts.</summary>
public sealed partial class FleetDbContext
{
    public DbSet<HealthSample> HealthSamples => Set<HealthSample>();

    public DbSet<HealthAggregate> HealthAggregates => Set<HealthAggregate>();

    public DbSet<DeviceHealth> DeviceHealth => Set<DeviceHealth>();

    public DbSet<AlertRule> AlertRules => Set<AlertRule>();

    public DbSet<AlertInstance> Alerts => Set<AlertInstance>();
}
