using System.Text.Json;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Config;

/// <summary>A user or group as Ignition names it: by id, by name, or not at all.</summary>
public sealed record NodeOwner(int? Id, string? Name)
{
    public bool IsSet => Id is not null || Name is not null;

    public override string ToString() => Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Name ?? "(unset)";
}

/// <summary>Where a file's bytes come from: <c>contents</c> or one <c>append</c> entry.</summary>
public sealed record ContentSource(string? Source, string? Compression, string? Hash);

public sealed record FileEntry(string Path, bool Overwrite, int? Mode, NodeOwner User, NodeOwner Group, ContentSource? Contents, IReadOnlyList<ContentSource> Append);

public sealed record DirectoryEntry(string Path, bool Overwrite, int? Mode, NodeOwner User, NodeOwner Group);

public sealed record LinkEntry(string Path, bool Overwrite, string Target, bool Hard, NodeOwner User, NodeOwner Group);

public sealed record DropinEntry(string Name, string? Contents);

public sealed record UnitEntry(string Name, string? Contents, bool? Enabled, bool Mask, IReadOnlyList<DropinEntry> Dropins);

public sealed record UserKeysEntry(string Name, IReadOnlyList<string> Keys);

/// <summary>
/// The parts of an Ignition 3.x config the agent looks at. Parsed with <see cref="JsonDocument"/>
/// (no reflection, so the agent stays trimmable). An entry that is malformed becomes a
/// <see cref="Problems"/> result rather than failing the whole config, so one bad entry does not stop
/// the others.
/// </summary>
public sealed class IgnitionConfig
{
    public string Version { get; private init; } = string.Empty;

    public List<FileEntry> Files { get; } = [];

    public List<DirectoryEntry> Directories { get; } = [];

    public List<LinkEntry> Links { get; } = [];

    public List<UnitEntry> Units { get; } = [];

    public List<UserKeysEntry> Users { get; } = [];

    /// <summary>Entries that need a reinstall (disks, RAID, filesystems, LUKS, kernel arguments).</summary>
    public List<ConfigEntryResult> NeedsReinstall { get; } = [];

    /// <summary>Entries that could not be read.</summary>
    public List<ConfigEntryResult> Problems { get; } = [];

    /// <exception cref="FormatException">Not JSON, not an object, or not an Ignition 3.x config; the message says where.</exception>
    public static IgnitionConfig Parse(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON: line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the config is not a JSON object");
            }

            var version = Object(root, "ignition") is { } ignition ? String(ignition, "version") : null;
            if (version is null || !version.StartsWith("3.", StringComparison.Ordinal))
            {
                throw new FormatException($"ignition.version must be 3.x, not '{version ?? "(missing)"}'");
            }

            var config = new IgnitionConfig { Version = version };
            config.Read(root);
            return config;
        }
    }

    private void Read(JsonElement root)
    {
        if (Object(root, "storage") is { } storage)
        {
            ReadReinstall(storage, "disks", "device");
            ReadReinstall(storage, "raid", "name");
            ReadReinstall(storage, "filesystems", "device");
            ReadReinstall(storage, "luks", "name");
            Each(storage, "storage.", "directories", ConfigEntryKind.Directory, (e, _) => Directories.Add(new DirectoryEntry(RequiredPath(e), Bool(e, "overwrite") ?? false, Int(e, "mode"), Owner(e, "user"), Owner(e, "group"))));
            Each(storage, "storage.", "files", ConfigEntryKind.File, (e, _) => Files.Add(new FileEntry(
                RequiredPath(e),
                Bool(e, "overwrite") ?? false,
                Int(e, "mode"),
                Owner(e, "user"),
                Owner(e, "group"),
                Object(e, "contents") is { } c ? Source(c) : null,
                Array(e, "append").Select(Source).ToList())));
            Each(storage, "storage.", "links", ConfigEntryKind.Link, (e, _) => Links.Add(new LinkEntry(
                RequiredPath(e),
                Bool(e, "overwrite") ?? false,
                String(e, "target") ?? throw new FormatException("target is required"),
                Bool(e, "hard") ?? false,
                Owner(e, "user"),
                Owner(e, "group"))));
        }

        if (Object(root, "kernelArguments") is { } kernel && (Array(kernel, "shouldExist").Count > 0 || Array(kernel, "shouldNotExist").Count > 0))
        {
            NeedsReinstall.Add(new(ConfigEntryKind.Storage, "kernelArguments", ConfigEntryOutcome.NeedsReinstall, "kernel arguments change with rpm-ostree kargs and a reboot, not live"));
        }

        if (Object(root, "systemd") is { } systemd)
        {
            Each(systemd, "systemd.", "units", ConfigEntryKind.Unit, (e, _) => Units.Add(new UnitEntry(
                String(e, "name") ?? throw new FormatException("name is required"),
                String(e, "contents"),
                Bool(e, "enabled"),
                Bool(e, "mask") ?? false,
                Array(e, "dropins").Select(d => new DropinEntry(String(d, "name") ?? throw new FormatException("dropins[].name is required"), String(d, "contents"))).ToList())));
        }

        if (Object(root, "passwd") is { } passwd)
        {
            Each(passwd, "passwd.", "users", ConfigEntryKind.SshKeys, (e, _) =>
            {
                var keys = Array(e, "sshAuthorizedKeys").Select(k => k.ValueKind == JsonValueKind.String ? k.GetString()! : throw new FormatException("sshAuthorizedKeys holds a non-string")).ToList();
                if (keys.Count > 0)
                {
                    Users.Add(new UserKeysEntry(String(e, "name") ?? throw new FormatException("name is required"), keys));
                }
            });
        }
    }

    private void ReadReinstall(JsonElement storage, string section, string key)
    {
        var index = 0;
        foreach (var entry in Array(storage, section))
        {
            var target = TryString(entry, key) ?? TryString(entry, "path") ?? $"storage.{section}[{index}]";
            NeedsReinstall.Add(new(ConfigEntryKind.Storage, target, ConfigEntryOutcome.NeedsReinstall, $"storage.{section} is applied by Ignition on first boot only; reinstall the device to change it"));
            index++;
        }
    }

    private void Each(JsonElement parent, string prefix, string section, ConfigEntryKind kind, Action<JsonElement, int> read)
    {
        var index = 0;
        foreach (var entry in Array(parent, section))
        {
            try
            {
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("not an object");
                }

                read(entry, index);
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException)
            {
                var where = $"{prefix}{section}[{index}]";
                var target = entry.ValueKind == JsonValueKind.Object ? String(entry, "path") ?? String(entry, "name") ?? where : where;
                Problems.Add(new(kind, target, ConfigEntryOutcome.Failed, $"{where}: {ex.Message}"));
            }

            index++;
        }
    }

    private static ContentSource Source(JsonElement element) =>
        new(String(element, "source"), NullIfEmpty(String(element, "compression")), Object(element, "verification") is { } v ? String(v, "hash") : null);

    private static string RequiredPath(JsonElement element) => String(element, "path") ?? throw new FormatException("path is required");

    private static NodeOwner Owner(JsonElement element, string name) =>
        Object(element, name) is { } owner ? new NodeOwner(Int(owner, "id"), String(owner, "name")) : new NodeOwner(null, null);

    private static JsonElement? Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static List<JsonElement> Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [];

    private static string? String(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new FormatException($"{name} must be a string");

    private static int? Int(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
        : throw new FormatException($"{name} must be a whole number");

    private static bool? Bool(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw new FormatException($"{name} must be true or false");

    private static string? TryString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
