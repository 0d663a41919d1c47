using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Field-level checks Ignition makes on storage, kernel arguments and ownership.</summary>
internal static partial class IgnitionRules
{
    private static readonly HashSet<string> RaidLevels = new(StringComparer.Ordinal)
    {
        "linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10",
    };

    private static readonly string[] FormatImplies = ["path", "label", "uuid", "wipeFilesystem", "options", "mountOptions"];

    private static void CheckDetails(JsonObject config, Version version, DiagnosticBag bag)
    {
        var storage = config["storage"] as JsonObject;
        foreach (var list in new[] { "files", "directories", "links" })
        {
            foreach (var node in Objects(storage?[list]))
            {
                CheckOwner(node, "user", bag);
                CheckOwner(node, "group", bag);
                if (list == "files" && node["overwrite"] is JsonValue overwrite && overwrite.GetValueKind() == System.Text.Json.JsonValueKind.True
                    && (node["contents"] as JsonObject)?["source"] is null)
                {
                    bag.Error("overwrite must be false when contents has no source (there would be nothing to write)", node, "overwrite");
                }
            }
        }

        foreach (var fs in Objects(storage?["filesystems"]))
        {
            if (TryString(fs, "format", out var format))
            {
                var formats = version >= new Version(3, 3, 0) ? "ext4, btrfs, xfs, vfat, swap, none" : "ext4, btrfs, xfs, vfat, swap";
                if (!formats.Split(", ").Contains(format))
                {
                    bag.Error($"invalid filesystem format \"{format}\" (spec {version} allows {formats})", fs, "format");
                }
            }
            else if (FormatImplies.FirstOrDefault(k => fs[k] is not null) is { } implied)
            {
                bag.Error($"format is required when {implied} is set", fs);
            }
        }

        foreach (var raid in Objects(storage?["raid"]))
        {
            if (TryString(raid, "level", out var level) && !RaidLevels.Contains(level))
            {
                bag.Error($"unrecognized RAID level \"{level}\"", raid, "level");
            }
        }

        foreach (var disk in Objects(storage?["disks"]))
        {
            var numbers = new HashSet<long>();
            foreach (var partition in Objects(disk["partitions"]))
            {
                if (JsonInts.TryGet(partition["number"], out var number) && number != 0 && !numbers.Add(number))
                {
                    bag.Error($"partition number {number} is used twice on this disk", partition, "number");
                }
            }
        }

        foreach (var luks in Objects(storage?["luks"]))
        {
            if (luks["device"] is null)
            {
                bag.Error("a LUKS volume needs device", luks);
            }

            // The kind checks report a clevis that is not an object; indexing one would throw.
            foreach (var tang in Objects((luks["clevis"] as JsonObject)?["tang"]))
            {
                if (tang["thumbprint"] is null)
                {
                    bag.Error("a Tang server needs thumbprint", tang);
                }
            }
        }

        if (config["kernelArguments"] is JsonObject kargs && kargs["shouldExist"] is JsonArray present && kargs["shouldNotExist"] is JsonArray absent)
        {
            var wanted = present.Select(a => a?.ToJsonString()).ToHashSet(StringComparer.Ordinal);
            foreach (var arg in absent.Where(a => wanted.Contains(a?.ToJsonString())))
            {
                bag.Error($"kernel argument {arg!.ToJsonString()} is in both shouldExist and shouldNotExist", arg);
            }
        }

        CheckHttpHeaders(config, bag);
    }

    private static void CheckOwner(JsonObject node, string key, DiagnosticBag bag)
    {
        if (node[key] is JsonObject owner && owner["id"] is not null && owner["name"] is not null)
        {
            bag.Error($"{key} sets both id and name; choose one", node, key);
        }
    }

    /// <summary>Custom HTTP headers only make sense for http(s) sources.</summary>
    private static void CheckHttpHeaders(JsonNode node, DiagnosticBag bag)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["httpHeaders"] is JsonArray { Count: > 0 } && TryString(obj, "source", out var source)
                    && SpecFeatures.Scheme(source) is not ("http" or "https"))
                {
                    bag.Error("httpHeaders can only be used with http:// or https:// sources", obj, "httpHeaders");
                }

                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        CheckHttpHeaders(child, bag);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        CheckHttpHeaders(child, bag);
                    }
                }

                break;
        }
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? list) => (list as JsonArray)?.OfType<JsonObject>() ?? [];
}
