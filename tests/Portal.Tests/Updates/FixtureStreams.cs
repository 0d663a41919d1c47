using System.Text.Json.Nodes;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Updates;

/// <summary>The real Fedora CoreOS documents of the interop fixtures, as streams and as (edited) JSON.</summary>
internal static class FixtureStreams
{
    public static string Releases => Interop.Fixture("fcos-releases.json");

    public static string Updates => Interop.Fixture("updates-stable.json");

    public static string StreamMetadata => Interop.Fixture("fcos-stream.json");

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

    /// <summary>A stable stream built in memory the way an import builds it.</summary>
    public static UpdateStream Stable(string? updates = null, DateTimeOffset? now = null)
    {
        var stream = new UpdateStream { Name = "stable" };
        var parsed = ReleaseImportParser.Parse("stable", new ReleaseImportDocuments(Releases, updates ?? Updates, StreamMetadata));
        Assert.Empty(parsed.Errors);
        ReleaseImportService.Apply(stream, parsed, now ?? DateTimeOffset.UnixEpoch);
        return stream;
    }
}
