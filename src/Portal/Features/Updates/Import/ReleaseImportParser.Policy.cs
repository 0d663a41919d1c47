using System.Globalization;
using System.Text.Json;
using Fleet.Shared;

namespace Fleet.Portal.Features.Updates.Import;

/// <summary>updates/&lt;stream&gt;.json (rollout, barrier, dead-end per version) and the stream metadata document.</summary>
internal static partial class ReleaseImportParser
{
    private static List<ParsedPolicy> ParsePolicies(string stream, JsonElement root, Action<string, string> error)
    {
        CheckStream(stream, root, error);
        var policies = new List<ParsedPolicy>();
        if (!root.TryGetProperty("releases", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            error("$.releases", "expected an array of release policies");
            return policies;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            var path = $"$.releases[{index++}]";
            var version = VersionOf(entry, path, error);
            if (version is null)
            {
                continue;
            }

            if (!seen.Add(version))
            {
                error($"{path}.version", $"'{version}' has two policy entries");
                continue;
            }

            if (!entry.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
            {
                error($"{path}.metadata", "missing: expected an object");
                continue;
            }

            policies.Add(new ParsedPolicy(
                version,
                ReasonOf(metadata, "barrier", $"{path}.metadata.barrier", error),
                ReasonOf(metadata, "deadend", $"{path}.metadata.deadend", error),
                RolloutOf(metadata, $"{path}.metadata.rollout", error)));
        }

        return policies;
    }

    /// <summary>A barrier or dead-end: its reason ("" when it gave none), or null when there is none.</summary>
    private static string? ReasonOf(JsonElement metadata, string name, string path, Action<string, string> error)
    {
        if (!metadata.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error(path, "expected an object with a reason");
            return null;
        }

        var reason = StringProperty(value, "reason") ?? string.Empty;
        if (reason.Length > Release.MaxReasonLength)
        {
            error($"{path}.reason", $"longer than {Release.MaxReasonLength} characters");
        }

        return reason;
    }

    private static ParsedRollout? RolloutOf(JsonElement metadata, string path, Action<string, string> error)
    {
        if (!metadata.TryGetProperty("rollout", out var rollout) || rollout.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (rollout.ValueKind != JsonValueKind.Object)
        {
            error(path, "expected an object");
            return null;
        }

        long? epoch = null;
        double? start = null;
        long? minutes = null;
        if (rollout.TryGetProperty("start_epoch", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var value) && value >= 0)
            {
                epoch = value;
            }
            else
            {
                error($"{path}.start_epoch", "expected Unix seconds (a whole number, 0 or more)");
            }
        }

        if (rollout.TryGetProperty("start_percentage", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind == JsonValueKind.Number && p.TryGetDouble(out var value) && value is >= 0 and <= 1)
            {
                start = value;
            }
            else
            {
                error($"{path}.start_percentage", "expected a share between 0 and 1");
            }
        }

        if (rollout.TryGetProperty("duration_minutes", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var value) && value >= 0)
            {
                minutes = value;
            }
            else
            {
                error($"{path}.duration_minutes", "expected whole minutes, 0 or more");
            }
        }

        return new ParsedRollout(epoch, start, minutes);
    }

    private static ParsedStreamMetadata ParseStreamMetadata(string stream, JsonElement root, Action<string, string> error)
    {
        CheckStream(stream, root, error);
        DateTimeOffset? lastModified = null;
        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && StringProperty(metadata, "last-modified") is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                lastModified = parsed.ToUniversalTime();
            }
            else
            {
                error("$.metadata.last-modified", $"'{Shorten(text)}' is not a date");
            }
        }

        var latest = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("architectures", out var architectures) || architectures.ValueKind != JsonValueKind.Object)
        {
            error("$.architectures", "expected an object of architectures");
            return new ParsedStreamMetadata(lastModified, latest);
        }

        foreach (var architecture in architectures.EnumerateObject())
        {
            var path = $"$.architectures.{architecture.Name}";
            if (!UpdateRules.IsArchitecture(architecture.Name))
            {
                error(path, "not an architecture name");
                continue;
            }

            if (architecture.Value.ValueKind != JsonValueKind.Object
                || !architecture.Value.TryGetProperty("artifacts", out var artifacts) || artifacts.ValueKind != JsonValueKind.Object)
            {
                error($"{path}.artifacts", "expected an object of platforms");
                continue;
            }

            foreach (var platform in artifacts.EnumerateObject())
            {
                var release = platform.Value.ValueKind == JsonValueKind.Object ? StringProperty(platform.Value, "release") : null;
                if (release is null || !UpdateRules.IsVersion(release))
                {
                    error($"{path}.artifacts.{platform.Name}.release", "missing or not a version");
                    continue;
                }

                // All platforms of an architecture normally carry the same release; keep the newest-looking one.
                if (!latest.TryGetValue(architecture.Name, out var known) || string.CompareOrdinal(release, known) > 0)
                {
                    latest[architecture.Name] = release;
                }
            }
        }

        return new ParsedStreamMetadata(lastModified, latest);
    }
}
