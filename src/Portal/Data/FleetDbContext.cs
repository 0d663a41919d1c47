using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Features.Power;
using Fleet.Portal.Features.Updates;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Fleet.Portal.Data;

/// <summary>The one DbContext: Identity tables plus the fleet.</summary>
public sealed class FleetDbContext(DbContextOptions<FleetDbContext> options)
    : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<Device> Devices => Set<Device>();

    public DbSet<DeviceMac> DeviceMacs => Set<DeviceMac>();

    public DbSet<HeartbeatRecord> Heartbeats => Set<HeartbeatRecord>();

    public DbSet<DeviceEvent> DeviceEvents => Set<DeviceEvent>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    // Enrollment
    public DbSet<EnrollmentSettings> EnrollmentSettings => Set<EnrollmentSettings>();

    public DbSet<EnrollmentToken> EnrollmentTokens => Set<EnrollmentToken>();

    public DbSet<PreRegistration> PreRegistrations => Set<PreRegistration>();

    public DbSet<RejectRule> RejectRules => Set<RejectRule>();

    public DbSet<ClaimCode> ClaimCodes => Set<ClaimCode>();

    // Attestation
    public DbSet<DeviceIdentifier> DeviceIdentifiers => Set<DeviceIdentifier>();

    public DbSet<IdentityConflict> IdentityConflicts => Set<IdentityConflict>();

    public DbSet<TpmChallengeRecord> TpmChallenges => Set<TpmChallengeRecord>();

    // Configs
    public DbSet<ConfigDefinition> Configs => Set<ConfigDefinition>();

    public DbSet<ConfigVersion> ConfigVersions => Set<ConfigVersion>();

    public DbSet<ConfigAssignment> ConfigAssignments => Set<ConfigAssignment>();

    public DbSet<DeviceVariable> DeviceVariables => Set<DeviceVariable>();

    public DbSet<SshKey> SshKeys => Set<SshKey>();

    public DbSet<DeviceConfigReport> DeviceConfigReports => Set<DeviceConfigReport>();

    // Health and alerts
    public DbSet<HealthSample> HealthSamples => Set<HealthSample>();

    public DbSet<HealthAggregate> HealthAggregates => Set<HealthAggregate>();

    public DbSet<DeviceHealth> DeviceHealth => Set<DeviceHealth>();

    public DbSet<AlertRule> AlertRules => Set<AlertRule>();

    public DbSet<AlertInstance> Alerts => Set<AlertInstance>();

    public DbSet<NotificationChannel> NotificationChannels => Set<NotificationChannel>();

    public DbSet<AlertDelivery> AlertDeliveries => Set<AlertDelivery>();

    public DbSet<AlertSettings> AlertSettings => Set<AlertSettings>();

    // Updates
    public DbSet<UpdateStream> UpdateStreams => Set<UpdateStream>();

    public DbSet<Release> Releases => Set<Release>();

    public DbSet<ReleaseArchitecture> ReleaseArchitectures => Set<ReleaseArchitecture>();

    public DbSet<DeviceGroup> DeviceGroups => Set<DeviceGroup>();

    public DbSet<FleetLockHolder> FleetLockHolders => Set<FleetLockHolder>();

    public DbSet<UpdateSettings> UpdateSettings => Set<UpdateSettings>();

    public DbSet<RolloutOutcome> RolloutOutcomes => Set<RolloutOutcome>();

    // Agents
    public DbSet<AgentBuild> AgentBuilds => Set<AgentBuild>();

    public DbSet<AgentTarget> AgentTargets => Set<AgentTarget>();

    public DbSet<DeviceAgentState> DeviceAgentStates => Set<DeviceAgentState>();

    // Commands
    public DbSet<DeviceCommand> DeviceCommands => Set<DeviceCommand>();

    public DbSet<DeviceCommandUpload> DeviceCommandUploads => Set<DeviceCommandUpload>();

    public DbSet<DiagnosticScript> DiagnosticScripts => Set<DiagnosticScript>();

    public DbSet<Features.Commands.Runs.CommandRun> CommandRuns => Set<Features.Commands.Runs.CommandRun>();

    public DbSet<PowerPlan> PowerPlans => Set<PowerPlan>();

    public DbSet<PowerSample> PowerSamples => Set<PowerSample>();

    // Devices page
    public DbSet<SavedDeviceFilter> SavedDeviceFilters => Set<SavedDeviceFilter>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        builder.UseOpenIddict();

        // One IEntityTypeConfiguration<T> per entity, in a file beside the entity (in the feature that owns it).
        // Found by scanning, so a feature adds a table without editing this file; Data/EntityMappingTests checks
        // that every entity has exactly one.
        builder.ApplyConfigurationsFromAssembly(typeof(FleetDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // SQLite cannot order or compare DateTimeOffset; store UTC ticks so "last seen" sorts and filters in SQL.
        // PostgreSQL keeps its native timestamptz when it arrives (the converter is applied only for SQLite).
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
        }
    }
}

/// <summary>Stores a <see cref="DateTimeOffset"/> as UTC ticks (a sortable integer) and reads it back as UTC.</summary>
internal sealed class DateTimeOffsetToUtcTicksConverter()
    : ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
