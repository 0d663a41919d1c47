using Fleet.Portal.Features.Updates;

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

/// <summary>How people read the config enums; the API keeps the enum names.</summary>
public static class ConfigLabels
{
    public static string Label(this ConfigSourceLanguage language) =>
        language == ConfigSourceLanguage.Butane ? "Butane (YAML)" : "Ignition (JSON)";

    public static string Label(this ConfigScope scope) => scope switch
    {
        ConfigScope.Fleet => "Fleet default",
        ConfigScope.Group => "Group",
        _ => "Device",
    };
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
