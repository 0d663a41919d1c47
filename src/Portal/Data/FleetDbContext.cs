using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Fleet.Portal.Features.Audit;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Fleet.Portal.Data;

/// <summary>The one DbContext: Identity tables plus the fleet.</summary>
public sealed partial class FleetDbContext(DbContextOptions<FleetDbContext> options)
    : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<Device> Devices => Set<Device>();

    public DbSet<DeviceMac> DeviceMacs => Set<DeviceMac>();

    public DbSet<HeartbeatRecord> Heartbeats => Set<HeartbeatRecord>();

    public DbSet<DeviceEvent> DeviceEvents => Set<DeviceEvent>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        builder.UseOpenIddict();

        // Features keep their entity configuration beside their entities (IEntityTypeConfiguration<T>).
        builder.ApplyConfigurationsFromAssembly(typeof(FleetDbContext).Assembly);

        builder.Entity<Device>(d =>
        {
            d.HasIndex(x => x.EnrollmentId).IsUnique();
            d.HasIndex(x => x.MachineId);
            d.HasIndex(x => x.Hostname);
            d.HasIndex(x => x.PrimaryMac);
            d.HasIndex(x => new { x.State, x.IsOnline });
            d.HasIndex(x => new { x.FirstSeenAt, x.Id });                      // keyset pages, newest first
            d.HasIndex(x => new { x.State, x.IsOnline, x.FirstSeenAt, x.Id }); // keyset pages filtered by status
            d.HasIndex(x => x.LastSeenAt);
            d.Property(x => x.EnrollmentId).HasMaxLength(64);
            d.Property(x => x.MachineId).HasMaxLength(64);
            d.Property(x => x.Hostname).HasMaxLength(256);
            d.Property(x => x.Architecture).HasMaxLength(32);
            d.Property(x => x.Kernel).HasMaxLength(256);
            d.Property(x => x.OsName).HasMaxLength(256);
            d.Property(x => x.PrimaryMac).HasMaxLength(17);
            d.Property(x => x.AgentVersion).HasMaxLength(64);
            d.Property(x => x.SerialNumber).HasMaxLength(128);
            d.Property(x => x.LastAddress).HasMaxLength(64);
            d.HasIndex(x => x.SerialNumber);
            d.HasIndex(x => x.LastAddress);
            d.Property(x => x.Conflict).HasMaxLength(1024);
            d.Property(x => x.DecidedBy).HasMaxLength(256);
            d.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            d.HasMany(x => x.Macs).WithOne().HasForeignKey(m => m.DeviceId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<DeviceMac>(m =>
        {
            m.HasIndex(x => x.Mac);
            m.HasIndex(x => new { x.DeviceId, x.Mac }).IsUnique();
            m.Property(x => x.Mac).HasMaxLength(17);
            m.Property(x => x.InterfaceName).HasMaxLength(64);
        });

        builder.Entity<HeartbeatRecord>(h =>
        {
            h.ToTable("Heartbeats");
            h.HasIndex(x => new { x.DeviceId, x.ReceivedAt });
            h.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<AuditEntry>(a =>
        {
            a.HasIndex(x => x.At);
            a.HasIndex(x => new { x.EntityType, x.EntityId });
            a.HasIndex(x => x.Actor);
            a.Property(x => x.Actor).HasMaxLength(256);
            a.Property(x => x.ActorRole).HasMaxLength(32);
            a.Property(x => x.Action).HasMaxLength(64);
            a.Property(x => x.EntityType).HasMaxLength(64);
            a.Property(x => x.EntityId).HasMaxLength(128);
            a.Property(x => x.Before).HasMaxLength(AuditLog.MaxSummaryLength);
            a.Property(x => x.After).HasMaxLength(AuditLog.MaxSummaryLength);
            a.Property(x => x.Detail).HasMaxLength(AuditLog.MaxSummaryLength);
            a.Property(x => x.RemoteAddress).HasMaxLength(64);
            a.Property(x => x.Source).HasConversion<string>().HasMaxLength(16);
            a.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
        });

        builder.Entity<DeviceEvent>(e =>
        {
            e.HasIndex(x => new { x.DeviceId, x.At });
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.Message).HasMaxLength(1024);
            e.Property(x => x.SourceId).HasMaxLength(Shared.Protocol.MaxEventIdLength);
            e.HasIndex(x => new { x.DeviceId, x.SourceId }).IsUnique().HasFilter("\"SourceId\" IS NOT NULL");
            e.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
        });
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
