using System.Globalization;
using System.Text.Json;
using Fleet.Shared;

namespace Fleet.Portal.Features.Updates.Import;

/// <summary>
/// Reads and checks the Fedora CoreOS documents (shapes as coreos/fedora-coreos-cincinnati
/// <c>commons/src/metadata.rs</c> and coreos/stream-metadata-go read them). Every problem is reported
/// with its place in the document (<c>$.releases[3].commits[0].checksum</c>), all of them at once, so
/// one look at the report says what to fix.
/// </summary>
internal static partial class ReleaseImportParser
{
    public const string ReleasesField = "releases";
    public const string UpdatesField = "updates";
    public const string StreamMetadataField = "streamMetadata";
    private const int MaxErrors = 50;

    public static ParsedImport Parse(string stream, ReleaseImportDocuments documents)
    {
        var errors = new List<OutcomeError>();
        if (string.IsNullOrWhiteSpace(documents.Releases) && string.IsNullOrWhiteSpace(documents.Updates) && string.IsNullOrWhiteSpace(documents.StreamMetadata))
        {
            errors.Add(OutcomeError.At(
                "", "Give at least one document: releases.json, updates.json or the stream metadata."));
            return new ParsedImport(null, null, null, errors);
        }

        var releases = Read(documents.Releases, ReleasesField, errors, root => ParseReleases(stream, root, Reporter(errors, ReleasesField)));
        var policies = Read(documents.Updates, UpdatesField, errors, root => ParsePolicies(stream, root, Reporter(errors, UpdatesField)));
        var metadata = Read(documents.StreamMetadata, StreamMetadataField, errors, root => ParseStreamMetadata(stream, root, Reporter(errors, StreamMetadataField)));
        return new ParsedImport(releases, policies, metadata, errors.Take(MaxErrors).ToList());
    }

    private static Action<string, string> Reporter(List<OutcomeError> errors, string field) =>
        (path, message) => errors.Add(OutcomeError.At(field, $"{path}: {message}"));

    private static T? Read<T>(string? json, string field, List<OutcomeError> errors, Func<JsonElement, T> parse)
        where T : class
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(OutcomeError.At(field, "$: expected a JSON object"));
                return null;
            }

            return parse(document.RootElement);
        }
        catch (JsonException e)
        {
            errors.Add(OutcomeError.At(
                field, $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}"));
            return null;
        }
    }

    private static void CheckStream(string stream, JsonElement root, Action<string, string> error)
    {
        if (root.TryGetProperty("stream", out var named) && named.ValueKind == JsonValueKind.String && named.GetString() != stream)
        {
            error("$.stream", $"the document is for stream '{named.GetString()}', not '{stream}'");
        }
    }

    private static List<ParsedRelease> ParseReleases(string stream, JsonElement root, Action<string, string> error)
    {
        CheckStream(stream, root, error);
        var releases = new List<ParsedRelease>();
        if (!root.TryGetProperty("releases", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            error("$.releases", "expected an array of releases");
            return releases;
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            var path = $"$.releases[{index}]";
            var version = VersionOf(entry, path, error);
            if (version is not null && !seen.TryAdd(version, index))
            {
                error($"{path}.version", $"'{version}' appears twice (also at $.releases[{seen[version]}])");
            }

            var architectures = new Dictionary<string, ParsedArchitecture>(StringComparer.Ordinal);
            var images = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("oci-images", out var listed)
                && listed.ValueKind == JsonValueKind.Array ? listed : (JsonElement?)null;
            if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("commits", out var commits))
            {
                if (commits.ValueKind != JsonValueKind.Array)
                {
                    error($"{path}.commits", "expected an array");
                }
                else
                {
                    var c = 0;
                    foreach (var commit in commits.EnumerateArray())
                    {
                        ParseCommit(commit, $"{path}.commits[{c++}]", architectures, error);
                    }
                }
            }
            else if (entry.ValueKind == JsonValueKind.Object && images is null)
            {
                // Releases published only as OCI images have no commits (as upstream's scraper allows).
                error($"{path}.commits", "missing: a release needs its commits or its oci-images");
            }

            if (images is { } imageList)
            {
                var i = 0;
                foreach (var image in imageList.EnumerateArray())
                {
                    ParseImage(image, $"{path}.oci-images[{i++}]", architectures, error);
                }
            }

            if (version is not null)
            {
                releases.Add(new ParsedRelease(version, index, [.. architectures.Values]));
            }

            index++;
        }

        return releases;
    }

    private static string? VersionOf(JsonElement entry, string path, Action<string, string> error)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            error(path, "expected an object");
            return null;
        }

        if (!entry.TryGetProperty("version", out var value) || value.ValueKind != JsonValueKind.String)
        {
            error($"{path}.version", "missing: expected a version string");
            return null;
        }

        var version = value.GetString()!;
        if (!UpdateRules.IsVersion(version))
        {
            error($"{path}.version", $"'{Shorten(version)}' is not a version (1 to 64 letters, digits and . _ + ~ -)");
            return null;
        }

        return version;
    }

    private static void ParseCommit(JsonElement commit, string path, Dictionary<string, ParsedArchitecture> architectures, Action<string, string> error)
    {
        var architecture = StringProperty(commit, "architecture");
        var checksum = StringProperty(commit, "checksum");
        if (architecture is null || !UpdateRules.IsArchitecture(architecture))
        {
            error($"{path}.architecture", "missing or not an architecture name (x86_64, aarch64, …)");
            return;
        }

        if (checksum is null)
        {
            error($"{path}.checksum", "missing");
            return;
        }

        // Upstream skips an architecture whose checksum is empty; so does Fleet.
        if (checksum.Length == 0)
        {
            return;
        }

        if (!UpdateRules.IsChecksum(checksum))
        {
            error($"{path}.checksum", $"'{Shorten(checksum)}' is not an OSTree commit checksum (64 lower-case hex digits)");
            return;
        }

        if (!architectures.TryAdd(architecture, new ParsedArchitecture(architecture, checksum, null)))
        {
            error($"{path}.architecture", $"'{architecture}' appears twice in this release");
        }
    }

    private static void ParseImage(JsonElement image, string path, Dictionary<string, ParsedArchitecture> architectures, Action<string, string> error)
    {
        var architecture = StringProperty(image, "architecture");
        var reference = StringProperty(image, "digest-ref");
        if (architecture is null || reference is null || !UpdateRules.IsArchitecture(architecture))
        {
            error(path, "expected an architecture name and a digest-ref");
            return;
        }

        if (reference.Length > 512 || !reference.Contains("@sha256:", StringComparison.Ordinal) || reference.Any(char.IsWhiteSpace))
        {
            error($"{path}.digest-ref", $"'{Shorten(reference)}' is not an image reference by digest (…@sha256:…)");
            return;
        }

        // An image for an architecture without a commit is a node of the OCI graph only (empty checksum).
        architectures[architecture] = architectures.TryGetValue(architecture, out var existing)
            ? existing with { OciImage = reference }
            : new ParsedArchitecture(architecture, string.Empty, reference);
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Shorten(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
