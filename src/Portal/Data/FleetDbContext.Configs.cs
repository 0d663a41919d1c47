using Fleet.Portal.Features.Configs;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>The Ignition config tables; their configuration is in Features/Configs/Model.</summary>
public sealed partial class FleetDbContext
{
    public DbSet<ConfigDefinition> Configs => Set<ConfigDefinition>();

    public DbSet<ConfigVersion> ConfigVersions => Set<ConfigVersion>();

    public DbSet<ConfigAssignment> ConfigAssignments => Set<ConfigAssignment>();

    public DbSet<DeviceVariable> DeviceVariables => Set<DeviceVariable>();

    public DbSet<SshKey> SshKeys => Set<SshKey>();

    public DbSet<DeviceConfigReport> DeviceConfigReports => Set<DeviceConfigReport>();
}
