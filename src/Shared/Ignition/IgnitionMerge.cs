using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>
/// Ignition's config merge (parent ← child), as Ignition applies <c>ignition.config.merge</c> and as Butane merges
/// its generated sections: objects merge field by field; a child scalar replaces the parent's unless it is null;
/// keyed lists (files by path, units by name, users by name, disks by device, partitions by number or label, ...)
/// merge entries with the same key and append the rest; <c>append</c> and option lists concatenate; files,
/// directories and links share one key space (a child directory at a parent file's path removes the file), as do
/// <c>kernelArguments.shouldExist</c>/<c>shouldNotExist</c>; an HTTP header whose child value is null is removed.
/// </summary>
public static class IgnitionMerge
{
    private static readonly HashSet<string> Concatenated = new(StringComparer.Ordinal) { "append", "options", "mountOptions", "openOptions" };

    private static readonly Dictionary<string, string> SharedKeySpaces = new(StringComparer.Ordinal)
    {
        ["files"] = "nodes", ["directories"] = "nodes", ["links"] = "nodes",
        ["shouldExist"] = "kargs", ["shouldNotExist"] = "kargs",
    };

    /// <summary>Merges <paramref name="child"/> over <paramref name="parent"/>; neither input is modified.</summary>
    public static JsonObject Merge(JsonObject parent, JsonObject child)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(child);
        return MergeInPlace(parent.DeepClone().AsObject(), child.DeepClone().AsObject());
    }

    /// <summary>
    /// Merges layers in order (first is the base, e.g. fleet default → group → device) and records which layer
    /// each keyed entry came from (the last layer that declares it): keys like <c>storage.files[/etc/motd]</c>,
    /// <c>systemd.units[a.service].dropins[b.conf]</c> or <c>passwd.users[core].sshAuthorizedKeys[ssh-ed25519 …]</c>
    /// map to the layer name. The merged <c>ignition.version</c> is the newest of the layers' versions (every
    /// older 3.x config is valid at a newer 3.x spec).
    /// </summary>
    public static (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var merged = new JsonObject();
        Version? newest = null;
        var declaredBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (layer, config) in layers)
        {
            ArgumentNullException.ThrowIfNull(config);
            if (IgnitionSpec.VersionOf(config) is { } version && (newest is null || version > newest))
            {
                newest = version;
            }

            foreach (var key in EntryKeys(config))
            {
                declaredBy[key] = layer;
            }

            merged = MergeInPlace(merged, config.DeepClone().AsObject());
        }

        if (newest is not null)
        {
            SetVersion(merged, newest);
        }

        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in EntryKeys(merged))
        {
            if (declaredBy.TryGetValue(key, out var layer))
            {
                origins[key] = layer;
            }
        }

        return (merged, origins);
    }

    /// <summary>Merges two trees the caller owns, moving (not copying) their nodes into the result.</summary>
    internal static JsonObject MergeInPlace(JsonObject parent, JsonObject child)
    {
        var parentFields = Detach(parent);
        var childFields = Detach(child);
        var childByName = childFields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        var result = new JsonObject();

        // Keys of the child's keyed lists by key space, to drop parent entries re-declared in a sibling list.
        var childKeySpace = new Dictionary<(string Space, string Key), string>();
        foreach (var (name, value) in childFields)
        {
            if (value is JsonArray list && SharedKeySpaces.TryGetValue(name, out var space))
            {
                foreach (var item in list)
                {
                    if (KeyOf(name, item) is { } key)
                    {
                        childKeySpace[(space, key)] = name;
                    }
                }
            }
        }

        foreach (var (name, parentValue) in parentFields)
        {
            childByName.TryGetValue(name, out var childValue);
            result[name] = (parentValue, childValue) switch
            {
                (JsonObject p, JsonObject c) => MergeInPlace(p, c),
                (JsonArray p, JsonArray c) => MergeList(name, p, c, childKeySpace),
                (JsonArray p, null) => MergeList(name, p, [], childKeySpace),
                (_, null) => parentValue,
                _ => childValue,
            };
        }

        foreach (var (name, childValue) in childFields)
        {
            if (!result.ContainsKey(name) && childValue is not null)
            {
                result[name] = childValue;
            }
        }

        return result;
    }

    private static JsonArray MergeList(string name, JsonArray parent, JsonArray child, Dictionary<(string, string), string> childKeySpace)
    {
        var parentItems = parent.ToList();
        var childItems = child.ToList();
        parent.Clear();
        child.Clear();
        var result = new JsonArray();
        if (Concatenated.Contains(name))
        {
            foreach (var item in parentItems.Concat(childItems))
            {
                result.Add(item);
            }

            return result;
        }

        // Keys first: merging an entry empties the child object it came from.
        var childKeys = childItems.Select(item => KeyOf(name, item)).ToList();
        var childByKey = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = 0; i < childItems.Count; i++)
        {
            if (childKeys[i] is { } key)
            {
                childByKey[key] = childItems[i];
            }
        }

        var parentKeys = new HashSet<string>(StringComparer.Ordinal);
        SharedKeySpaces.TryGetValue(name, out var space);
        foreach (var item in parentItems)
        {
            var key = KeyOf(name, item);
            if (key is null)
            {
                result.Add(item);
                continue;
            }

            parentKeys.Add(key);
            if (childByKey.TryGetValue(key, out var match))
            {
                if (name == "httpHeaders" && match is JsonObject header && header["value"] is null)
                {
                    continue;
                }

                result.Add(item is JsonObject p && match is JsonObject c ? MergeInPlace(p, c) : match);
            }
            else if (space is null || !childKeySpace.ContainsKey((space, key)))
            {
                result.Add(item);
            }
        }

        for (var i = 0; i < childItems.Count; i++)
        {
            var item = childItems[i];
            var key = childKeys[i];
            if (key is null || !parentKeys.Contains(key))
            {
                if (name == "httpHeaders" && item is JsonObject header && header["value"] is null)
                {
                    continue;
                }

                result.Add(item);
            }
        }

        return result;
    }

    /// <summary>The merge key of a list entry (Ignition's <c>Key()</c>), or null when entries of this list are not keyed.</summary>
    internal static string? KeyOf(string list, JsonNode? item)
    {
        if (item is JsonValue value)
        {
            return value.TryGetValue(out string? text) ? text : value.ToJsonString();
        }

        if (item is not JsonObject obj)
        {
            return null;
        }

        var field = list switch
        {
            "files" or "directories" or "links" => "path",
            "units" or "dropins" or "users" or "groups" or "raid" or "luks" or "httpHeaders" => "name",
            "disks" or "filesystems" => "device",
            "tang" => "url",
            "merge" or "certificateAuthorities" => "source",
            "partitions" => JsonInts.TryGet(obj["number"], out var number) && number != 0 ? "number" : "label",
            _ => null,
        };
        return field is null ? null : obj[field] switch
        {
            JsonValue v when v.TryGetValue(out string? s) => s,
            JsonValue v => v.ToJsonString(),
            _ => null,
        };
    }

    /// <summary>Every keyed entry in <paramref name="config"/>, as origin keys.</summary>
    internal static IEnumerable<string> EntryKeys(JsonObject config)
    {
        var keys = new List<string>();
        Collect(config, "", keys);
        return keys;
    }

    private static void Collect(JsonObject obj, string prefix, List<string> keys)
    {
        foreach (var (name, value) in obj)
        {
            var path = prefix.Length == 0 ? name : prefix + "." + name;
            switch (value)
            {
                case JsonObject child:
                    Collect(child, path, keys);
                    break;
                case JsonArray list when !Concatenated.Contains(name):
                    foreach (var item in list)
                    {
                        if (KeyOf(name, item) is { } key)
                        {
                            var entry = string.Create(CultureInfo.InvariantCulture, $"{path}[{key}]");
                            keys.Add(entry);
                            if (item is JsonObject entryObject)
                            {
                                Collect(entryObject, entry, keys);
                            }
                        }
                    }

                    break;
            }
        }
    }

    internal static void SetVersion(JsonObject config, Version version)
    {
        if (config["ignition"] is not JsonObject ignition)
        {
            ignition = [];
            config.Remove("ignition");

            // First, where a reader (and upstream Butane) puts it.
            config.Insert(0, "ignition", ignition);
        }

        ignition["version"] = version.ToString(3);
    }

    private static List<KeyValuePair<string, JsonNode?>> Detach(JsonObject obj)
    {
        var fields = obj.ToList();
        obj.Clear();
        return fields;
    }
}
