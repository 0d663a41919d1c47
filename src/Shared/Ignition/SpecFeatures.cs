using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>
/// What each Ignition spec added (upstream "Upgrading Configs"), so a config can be checked against the spec it
/// declares and re-expressed at an older one. Patterns are dotted paths; <c>*</c> matches one list index.
/// </summary>
internal static class SpecFeatures
{
    private sealed record Feature(string Pattern, Version Since, string What);

    private static readonly Version V31 = new(3, 1, 0);
    private static readonly Version V32 = new(3, 2, 0);
    private static readonly Version V33 = new(3, 3, 0);
    private static readonly Version V34 = new(3, 4, 0);
    private static readonly Version V35 = new(3, 5, 0);
    private static readonly Version V36 = new(3, 6, 0);

    private static readonly Feature[] Fields =
    [
        new("ignition.proxy", V31, "HTTP proxies"),
        new("**.httpHeaders", V31, "custom HTTP headers"),
        new("ignition.config.merge.*.compression", V31, "compressed merged configs"),
        new("ignition.config.replace.compression", V31, "compressed replacement configs"),
        new("ignition.security.tls.certificateAuthorities.*.compression", V31, "compressed certificate authorities"),
        new("storage.filesystems.*.mountOptions", V31, "filesystem mount options"),
        new("storage.luks", V32, "LUKS encrypted storage"),
        new("storage.disks.*.partitions.*.resize", V32, "partition resizing"),
        new("passwd.users.*.shouldExist", V32, "user deletion"),
        new("passwd.groups.*.shouldExist", V32, "group deletion"),
        new("kernelArguments", V33, "kernel arguments"),
        new("storage.luks.*.clevis.tang.*.advertisement", V34, "offline Tang provisioning"),
        new("storage.luks.*.discard", V34, "LUKS discard"),
        new("storage.luks.*.openOptions", V34, "LUKS open options"),
        new("storage.luks.*.cex", V35, "LUKS CEX"),
    ];

    /// <summary>URL schemes each spec accepts in a resource <c>source</c>.</summary>
    public static IReadOnlyList<string> SchemesFor(Version version)
    {
        var schemes = new List<string> { "http", "https", "tftp", "s3", "data" };
        if (version >= V32)
        {
            schemes.Add("gs");
        }

        if (version >= V34)
        {
            schemes.Add("arn");
        }

        return schemes;
    }

    /// <summary>The spec that introduced a URL scheme, or null when no supported spec has it.</summary>
    public static Version? SchemeSince(string scheme) => scheme switch
    {
        "http" or "https" or "tftp" or "s3" or "data" => new Version(3, 0, 0),
        "gs" => V32,
        "arn" => V34,
        _ => null,
    };

    /// <summary>
    /// Reports every field or value in <paramref name="config"/> that spec <paramref name="version"/> lacks.
    /// <paramref name="report"/> gets the node, key, the spec that introduced it and a description.
    /// </summary>
    public static void FindNewer(JsonObject config, Version version, Action<JsonNode, string?, Version, string> report) =>
        Walk(config, [], version, report);

    private static void Walk(JsonNode node, List<string> path, Version version, Action<JsonNode, string?, Version, string> report)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    path.Add(key);
                    foreach (var feature in Fields)
                    {
                        if (version < feature.Since && value is not null && Matches(feature.Pattern, path))
                        {
                            report(obj, key, feature.Since, feature.What);
                        }
                    }

                    CheckValue(obj, key, value, path, version, report);
                    if (value is not null)
                    {
                        Walk(value, path, version, report);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    path.Add("*");
                    if (item is not null)
                    {
                        Walk(item, path, version, report);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
        }
    }

    private static void CheckValue(JsonObject owner, string key, JsonNode? value, List<string> path, Version version, Action<JsonNode, string?, Version, string> report)
    {
        if (value is not JsonValue scalar)
        {
            return;
        }

        if (key == "hash" && version < V31 && scalar.TryGetValue(out string? hash) && hash.StartsWith("sha256-", StringComparison.Ordinal))
        {
            report(owner, key, V31, "SHA-256 verification");
        }
        else if (key == "format" && version < V33 && path.Count == 3 && path[0] == "storage" && path[1] == "filesystems"
            && scalar.TryGetValue(out string? format) && format == "none")
        {
            report(owner, key, V33, "filesystem format \"none\"");
        }
        else if (key == "mode" && version < V36 && JsonInts.TryGet(scalar, out var mode) && mode > 511 && mode <= 4095)
        {
            report(owner, key, V36, "setuid/setgid/sticky mode bits");
        }
        else if (key == "source" && scalar.TryGetValue(out string? source) && Scheme(source) is { } scheme
            && SchemeSince(scheme) is { } since && version < since)
        {
            report(owner, key, since, $"{scheme}: URLs");
        }
    }

    public static string? Scheme(string url)
    {
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? url[..colon].ToLowerInvariant() : null;
    }

    private static bool Matches(string pattern, List<string> path)
    {
        var parts = pattern.Split('.');
        if (parts[0] == "**")
        {
            return path.Count >= parts.Length - 1 && Same(parts.AsSpan(1), path.Skip(path.Count - (parts.Length - 1)).ToList());
        }

        return parts.Length == path.Count && Same(parts, path);
    }

    private static bool Same(ReadOnlySpan<string> pattern, List<string> path)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != path[i])
            {
                return false;
            }
        }

        return true;
    }
}
