using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>The language a config is authored in.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ConfigSourceLanguage>))]
public enum ConfigSourceLanguage
{
    /// <summary>Butane YAML (variants fcos and fiot), translated to Ignition on save.</summary>
    Butane = 0,

    /// <summary>Ignition JSON (spec 3.0.0-3.6.0), validated on save.</summary>
    Ignition = 1,
}

/// <summary>A named config in the library; its content lives in immutable <see cref="ConfigVersion"/>s.</summary>
public sealed class ConfigDefinition
{
    public const int MaxNameLength = 64;

    public int Id { get; set; }

    public required string Name { get; set; }

    public ConfigSourceLanguage Language { get; set; }

    public string? Description { get; set; }

    /// <summary>Number of the newest version; what assignments serve.</summary>
    public int LatestVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

/// <summary>One saved state of a config. Never changed after it is written; a roll back writes a new one.</summary>
public sealed class ConfigVersion
{
    public long Id { get; set; }

    public int ConfigId { get; set; }

    public int Number { get; set; }

    public required string Source { get; set; }

    /// <summary>The Ignition JSON the source compiled to (templates still unexpanded).</summary>
    public required string CompiledJson { get; set; }

    public required string Author { get; set; }

    public required string Message { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Where an assignment applies; the served config merges fleet default → group → device.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ConfigScope>))]
public enum ConfigScope
{
    Fleet = 0,
    Group = 1,
    Device = 2,
}

/// <summary>A config assigned to the fleet default, one device group, or one device (at most one per target).</summary>
public sealed class ConfigAssignment
{
    public int Id { get; set; }

    public int ConfigId { get; set; }

    public ConfigScope Scope { get; set; }

    /// <summary>The <see cref="DeviceGroup"/> for <see cref="ConfigScope.Group"/>.</summary>
    public int? GroupId { get; set; }

    public Guid? DeviceId { get; set; }

    /// <summary>One key per target, so the database itself keeps "at most one per target": <c>fleet</c>, <c>group:7</c>, <c>device:…</c>.</summary>
    public required string TargetKey { get; set; }

    public DateTimeOffset AssignedAt { get; set; }

    public required string AssignedBy { get; set; }

    public static string KeyOf(ConfigScope scope, int? groupId, Guid? deviceId) => scope switch
    {
        ConfigScope.Fleet => "fleet",
        ConfigScope.Group => $"group:{groupId}",
        _ => $"device:{deviceId:N}",
    };
}

/// <summary>A per-device key/value setting used by <c>{{vars.NAME}}</c>; secret values are stored encrypted.</summary>
public sealed class DeviceVariable
{
    public const int MaxNameLength = 64;
    public const int MaxValueLength = 16_384;

    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public required string Name { get; set; }

    /// <summary>The value, or for a secret its Data Protection ciphertext.</summary>
    public required string Value { get; set; }

    public bool IsSecret { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An SSH public key injected into the <c>core</c> user: a user's key goes to every device, a group's to its devices.</summary>
public sealed class SshKey
{
    public const int MaxKeyLength = 16_384;

    public int Id { get; set; }

    /// <summary>Portal user name that owns the key; null for a group key.</summary>
    public string? UserName { get; set; }

    public int? GroupId { get; set; }

    public required string PublicKey { get; set; }

    public required string Fingerprint { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

/// <summary>The last config report of a device (what the agent applied, per entry, and drift).</summary>
public sealed class DeviceConfigReport
{
    public Guid DeviceId { get; set; }

    public required string Version { get; set; }

    public DateTimeOffset CheckedAt { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The report's entries as JSON (<see cref="Shared.Messages.ConfigEntryResult"/>[]).</summary>
    public required string EntriesJson { get; set; }

    public string? Error { get; set; }
}

internal sealed class ConfigModelConfiguration :
    IEntityTypeConfiguration<ConfigDefinition>, IEntityTypeConfiguration<ConfigVersion>, IEntityTypeConfiguration<ConfigAssignment>,
    IEntityTypeConfiguration<DeviceVariable>, IEntityTypeConfiguration<SshKey>, IEntityTypeConfiguration<DeviceConfigReport>
{
    public void Configure(EntityTypeBuilder<ConfigDefinition> builder)
    {
        builder.ToTable("Configs");
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.Name).HasMaxLength(ConfigDefinition.MaxNameLength);
        builder.Property(c => c.Description).HasMaxLength(500);
        builder.Property(c => c.CreatedBy).HasMaxLength(256);
        builder.Property(c => c.Language).HasConversion<string>().HasMaxLength(16);
    }

    public void Configure(EntityTypeBuilder<ConfigVersion> builder)
    {
        builder.HasIndex(v => new { v.ConfigId, v.Number }).IsUnique();
        builder.Property(v => v.Author).HasMaxLength(256);
        builder.Property(v => v.Message).HasMaxLength(1000);
        builder.HasOne<ConfigDefinition>().WithMany().HasForeignKey(v => v.ConfigId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ConfigAssignment> builder)
    {
        builder.HasIndex(a => a.TargetKey).IsUnique();
        builder.HasIndex(a => a.ConfigId);
        builder.Property(a => a.TargetKey).HasMaxLength(64);
        builder.Property(a => a.AssignedBy).HasMaxLength(256);
        builder.Property(a => a.Scope).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<ConfigDefinition>().WithMany().HasForeignKey(a => a.ConfigId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(a => a.GroupId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Device>().WithMany().HasForeignKey(a => a.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<DeviceVariable> builder)
    {
        builder.HasIndex(v => new { v.DeviceId, v.Name }).IsUnique();
        builder.Property(v => v.Name).HasMaxLength(DeviceVariable.MaxNameLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(v => v.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<SshKey> builder)
    {
        builder.HasIndex(k => k.UserName);
        builder.HasIndex(k => k.GroupId);
        builder.Property(k => k.UserName).HasMaxLength(256);
        builder.Property(k => k.Fingerprint).HasMaxLength(128);
        builder.Property(k => k.CreatedBy).HasMaxLength(256);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(k => k.GroupId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<DeviceConfigReport> builder)
    {
        builder.HasKey(r => r.DeviceId);
        builder.Property(r => r.Version).HasMaxLength(128);
        builder.Property(r => r.Error).HasMaxLength(2000);
        builder.HasOne<Device>().WithOne().HasForeignKey<DeviceConfigReport>(r => r.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
