using System.Text.Json.Nodes;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Updates;

/// <summary>The real Fedora CoreOS documents of the interop fixtures, as streams and as (edited) JSON.</summary>
internal static class FixtureStreams
{
    public static string Releases => SharedInterop.Fixture("fcos-releases.json");

    public static string Updates => SharedInterop.Fixture("updates-stable.json");

    public static string StreamMetadata => SharedInterop.Fixture("fcos-stream.json");

    /// <summary>updates-stable.json with entries added (or replacing the entry of the same version).</summary>
    public static string UpdatesWith(params (string Version, string MetadataJson)[] entries)
    {
        var document = JsonNode.Parse(Updates)!.AsObject();
        var releases = document["releases"]!.AsArray();
        foreach (var (version, metadata) in entries)
        {
            var existing = releases.FirstOrDefault(r => r!["version"]!.GetValue<string>() == version);
            if (existing is not null)
            {
                releases.Remove(existing);
            }

            releases.Add(new JsonObject { ["version"] = version, ["metadata"] = JsonNode.Parse(metadata) });
        }

        return document.ToJsonString();
    }

    /// <summary>
    /// releases.json with an x86_64 OCI image added to the releases at <paramref name="positions"/>, as
    /// the release index lists them since Fedora CoreOS publishes OCI images (the image reference is
    /// made up: the repository of the fixture's own image, a digest derived from the version).
    /// </summary>
    public static string ReleasesWithOciImages(params int[] positions)
    {
        var document = JsonNode.Parse(Releases)!.AsObject();
        var releases = document["releases"]!.AsArray();
        foreach (var position in positions)
        {
            var release = releases[position]!.AsObject();
            release["oci-images"] = new JsonArray(new JsonObject
            {
                ["architecture"] = "x86_64",
                ["image"] = "quay.io/fedora/fedora-coreos:stable",
                ["digest-ref"] = OciReference(release["version"]!.GetValue<string>()),
            });
        }

        return document.ToJsonString();
    }

    public static string OciReference(string version)
    {
        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(version));
        return "quay.io/fedora/fedora-coreos@sha256:" + Convert.ToHexStringLower(digest);
    }

    /// <summary>A stable stream built in memory the way an import builds it.</summary>
    public static UpdateStream Stable(string? updates = null, DateTimeOffset? now = null, string? releases = null)
    {
        var stream = new UpdateStream { Name = "stable" };
        var documents = new ReleaseImportDocuments(releases ?? Releases, updates ?? Updates, StreamMetadata);
        var parsed = ReleaseImportParser.Parse("stable", documents);
        Assert.Empty(parsed.Errors);
        ReleaseImportService.Apply(stream, parsed, now ?? DateTimeOffset.UnixEpoch);
        return stream;
    }
}
