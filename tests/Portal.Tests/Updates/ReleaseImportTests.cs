using System.Text.Json.Nodes;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Importing the Fedora CoreOS documents: uploaded and fetched, all or nothing, idempotent.</summary>
public sealed class ReleaseImportTests(ReleaseImportTests.Fixture fixture) : IClassFixture<ReleaseImportTests.Fixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Import_FixtureDocuments_ReleasesArchitecturesPolicyAndStreamMetadata()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);

        var report = await Import(stream, FixtureStreams.Releases, FixtureStreams.Updates, FixtureStreams.StreamMetadata);

        Assert.True(report.Succeeded, report.Summary);
        Assert.Equal(26, report.Added);
        Assert.Equal(4, report.PoliciesApplied);
        Assert.Contains(report.Notes, n => n.Contains("updates.json has policy for", StringComparison.Ordinal));
        var details = (await Portal.Updates().GetStreamAsync(stream))!;
        Assert.Equal("x86_64=33.20201201.3.0", details.Stream.LatestByArchitecture);
        var first = details.Releases.Single(r => r.Version == "31.20200108.3.0");
        Assert.Equal(0, first.AgeIndex);
        Assert.Equal(new DateTimeOffset(2020, 1, 8, 0, 0, 0, TimeSpan.Zero), first.PublishedAt);
        Assert.Equal(["x86_64"], first.Architectures);
        Assert.True(details.Releases.Single(r => r.Version == "32.20201104.3.0").IsBarrier);
        await using var db = await Portal.CreateDbAsync();
        var arch = await db.ReleaseArchitectures.SingleAsync(a => a.ReleaseId == first.Id);
        Assert.Equal("113aa27efe1bbcf6324af7423f64ef7deb0acbf21b928faec84bf66a60a5c933", arch.Checksum);
        Assert.Equal("quay.io/fedora/fedora-coreos@sha256:460576931cf4ce59afe432ea266234f9d34fa77f8ca3087282084bc3a7324632", arch.OciImage);
    }

    [Fact]
    public async Task Import_SameDocumentsTwice_SecondChangesNothing()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);

        await Import(stream, FixtureStreams.Releases, FixtureStreams.Updates, null);
        var again = await Import(stream, FixtureStreams.Releases, FixtureStreams.Updates, null);

        Assert.True(again.Succeeded);
        Assert.Equal((0, 0, 26, 0), (again.Added, again.Updated, again.Unchanged, again.Removed));
    }

    [Fact]
    public async Task Import_BadRows_EveryProblemLocatedAndNothingSaved()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        var releases = JsonNode.Parse(FixtureStreams.Releases)!;
        releases["releases"]![3]!["commits"]![0]!["checksum"] = "not-a-checksum";
        releases["releases"]![7]!["version"] = releases["releases"]![6]!["version"]!.GetValue<string>();
        var updates = FixtureStreams.UpdatesWith(("32.20200629.3.0", """{"rollout":{"start_percentage":1.5}}"""));

        var report = await Import(stream, releases.ToJsonString(), updates, null);

        Assert.Equal(OutcomeKind.Invalid, report.Change.Kind);
        Assert.Contains("$.releases[3].commits[0].checksum", report.Change.ErrorFor(ReleaseImportParser.ReleasesField), StringComparison.Ordinal);
        Assert.Contains("$.releases[7].version", report.Change.ErrorFor(ReleaseImportParser.ReleasesField), StringComparison.Ordinal);
        Assert.Contains(".metadata.rollout.start_percentage", report.Change.ErrorFor(ReleaseImportParser.UpdatesField), StringComparison.Ordinal);
        Assert.Empty((await Portal.Updates().GetStreamAsync(stream))!.Releases);
        await using var db = await Portal.CreateDbAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "stream.import" && a.EntityId == stream && a.Outcome == AuditOutcome.Failed));
    }

    [Fact]
    public async Task Import_SameProblemInEveryRelease_ListedOnceWithItsCount()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        var releases = JsonNode.Parse(FixtureStreams.Releases)!;
        var list = releases["releases"]!.AsArray();
        foreach (var release in list)
        {
            release!["commits"]![0]!["checksum"] = "not-a-checksum";
        }

        list[2]!["version"] = "not a version!";

        var report = await Import(stream, releases.ToJsonString(), null, null);
        var problems = ImportProblem.Group(report.Change.Errors);

        Assert.Equal(OutcomeKind.Invalid, report.Change.Kind);
        Assert.True(report.Change.Errors.Count > 2, "every release is reported");
        Assert.Equal(2, problems.Count);
        var checksum = problems.Single(p => p.Place == "$.releases[*].commits[*].checksum");
        Assert.Equal(ReleaseImportParser.ReleasesField, checksum.Field);
        Assert.Equal(report.Change.Errors.Count - 1, checksum.Count);
        Assert.StartsWith(
            "$.releases[0].commits[0].checksum: 'not-a-checksum'", checksum.First, StringComparison.Ordinal);
        Assert.Equal(1, problems.Single(p => p.Place == "$.releases[*].version").Count);
    }

    [Fact]
    public void ImportProblems_WithoutPlace_KeptApartByMessage()
    {
        var problems = ImportProblem.Group(
        [
            OutcomeError.At("releases", "'ftp://a' is not an http or https URL"),
            OutcomeError.At("updates", "'ftp://a' is not an http or https URL"),
            OutcomeError.At("updates", "not valid JSON at line 1, byte 1: …"),
        ]);

        Assert.Equal([1, 1, 1], problems.Select(p => p.Count));
        Assert.All(problems, p => Assert.Equal(string.Empty, p.Place));
    }

    [Fact]
    public async Task Import_DocumentOfAnotherStreamOrNotJson_Refused()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);

        var other = await Portal.Imports().ImportAsync(stream, new ReleaseImportDocuments(FixtureStreams.Releases, null, null), TestActors.Operator);
        var broken = await Portal.Imports().ImportAsync(stream, new ReleaseImportDocuments(null, "{\"releases\": [", null), TestActors.Operator);

        Assert.Contains("$.stream: the document is for stream 'stable'", other.Change.ErrorFor(ReleaseImportParser.ReleasesField), StringComparison.Ordinal);
        Assert.Contains("not valid JSON at line 1", broken.Change.ErrorFor(ReleaseImportParser.UpdatesField), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_NewerIndexWithoutAnOldRelease_RemovedAndRenumbered_HaltKept()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var halted = (await Portal.Updates().GetStreamAsync(stream))!.Releases.Single(r => r.Version == "33.20201214.3.1");
        await Portal.Updates().HaltReleaseAsync(halted.Id, "testing the import", TestActors.Operator);
        var releases = JsonNode.Parse(FixtureStreams.Releases)!;
        releases["releases"]!.AsArray().RemoveAt(0);

        var report = await Import(stream, releases.ToJsonString(), null, null);

        Assert.Equal((0, 25, 0, 1), (report.Added, report.Updated, report.Unchanged, report.Removed));
        var details = (await Portal.Updates().GetStreamAsync(stream))!;
        Assert.DoesNotContain(details.Releases, r => r.Version == "31.20200108.3.0");
        Assert.Equal(24, details.Releases.Single(r => r.Version == "33.20201214.3.1").AgeIndex);
        Assert.True(details.Releases.Single(r => r.Version == "33.20201214.3.1").IsHalted);
    }

    [Fact]
    public async Task Import_UpdatesOnly_PolicyReplacedReleasesKept()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var updates = UpdateTestSupport.Retarget("""{"releases":[{"version":"33.20201214.3.1","metadata":{"rollout":{"start_percentage":1.0}}}]}""", stream);

        var report = await Portal.Imports().ImportAsync(stream, new ReleaseImportDocuments(null, updates, null), TestActors.Operator);

        Assert.True(report.Succeeded, report.Summary);
        Assert.Equal(5, report.Updated);   // four barriers cleared, one rollout set
        var releases = (await Portal.Updates().GetStreamAsync(stream))!.Releases;
        Assert.DoesNotContain(releases, r => r.IsBarrier);
        Assert.True(releases.Single(r => r.Version == "33.20201214.3.1").HasRollout);
    }

    [Fact]
    public async Task ImportFromUrls_LocalServer_FetchedAndImported()
    {
        _ = SharedInterop.Root;   // the local server serves the shared fixtures: skipped without them
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        var urls = new ReleaseImportUrls(fixture.Url("releases.json"), fixture.Url("updates.json"), fixture.Url("stream.json"));

        var report = await Portal.Imports().ImportFromUrlsAsync(stream, urls with
        {
            ReleasesUrl = fixture.Url($"releases.json?stream={stream}"),
            UpdatesUrl = fixture.Url($"updates.json?stream={stream}"),
            StreamMetadataUrl = fixture.Url($"stream.json?stream={stream}"),
        }, TestActors.Operator);

        Assert.True(report.Succeeded, report.Summary);
        Assert.Equal(26, report.Added);
    }

    [Theory]
    [InlineData("missing.json", "answered 404")]
    [InlineData("huge.json", "more than the limit")]
    [InlineData("huge-chunked.json", "larger than the limit")]
    [InlineData("slow.json", "took longer than")]
    public async Task ImportFromUrls_BadSource_ErrorNamesTheDocumentAndNothingSaved(string path, string message)
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);

        var report = await Portal.Imports().ImportFromUrlsAsync(stream, new ReleaseImportUrls(fixture.Url($"releases.json?stream={stream}"), fixture.Url(path), null), TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, report.Change.Kind);
        Assert.Contains(message, report.Change.ErrorFor(ReleaseImportParser.UpdatesField), StringComparison.Ordinal);
        Assert.Empty((await Portal.Updates().GetStreamAsync(stream))!.Releases);
    }

    [Fact]
    public async Task ImportFromUrls_NotHttp_Refused()
    {
        var report = await Portal.Imports().ImportFromUrlsAsync("stable", new ReleaseImportUrls("file:///etc/passwd", null, null), TestActors.Operator);

        Assert.Contains("not an http or https URL", report.Change.ErrorFor(ReleaseImportParser.ReleasesField), StringComparison.Ordinal);
    }

    private Task<ImportReport> Import(string stream, string? releases, string? updates, string? metadata) =>
        Portal.Imports().ImportAsync(stream, new ReleaseImportDocuments(
            releases is null ? null : UpdateTestSupport.Retarget(releases, stream),
            updates is null ? null : UpdateTestSupport.Retarget(updates, stream),
            metadata is null ? null : UpdateTestSupport.Retarget(metadata, stream)), TestActors.Operator);

    /// <summary>A portal with small import limits, and a local web server serving the fixtures (and some bad answers).</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private WebApplication _server = null!;
        private Uri _base = null!;

        public PortalInstance Portal { get; private set; } = null!;

        public string Url(string path) => new Uri(_base, path).ToString();

        public async ValueTask InitializeAsync()
        {
            Portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
            {
                ["Fleet:Updates:ImportMaxBytes"] = "65536",
                ["Fleet:Updates:ImportTimeoutSeconds"] = "1",
            });
            var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
            _server = builder.Build();
            _server.MapGet("/releases.json", (string stream) => Results.Text(UpdateTestSupport.Retarget(FixtureStreams.Releases, stream), "application/json"));
            _server.MapGet("/updates.json", (string stream) => Results.Text(UpdateTestSupport.Retarget(FixtureStreams.Updates, stream), "application/json"));
            _server.MapGet("/stream.json", (string stream) => Results.Text(UpdateTestSupport.Retarget(FixtureStreams.StreamMetadata, stream), "application/json"));
            _server.MapGet("/huge.json", () => Results.Text(new string(' ', 70_000), "application/json"));
            _server.MapGet("/huge-chunked.json", async (HttpContext http) =>
            {
                // No Content-Length: the limit must hold while reading.
                for (var i = 0; i < 20; i++)
                {
                    await http.Response.WriteAsync(new string(' ', 8192));
                    await http.Response.Body.FlushAsync();
                }
            });
            _server.MapGet("/slow.json", async (CancellationToken cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
                return Results.Text("{}");
            });
            await _server.StartAsync();
            _base = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        public async ValueTask DisposeAsync()
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
            await Portal.DisposeAsync();
        }
    }
}
