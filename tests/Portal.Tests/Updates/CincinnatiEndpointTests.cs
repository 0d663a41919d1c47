using System.Net;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Updates;

/// <summary>
/// GET /v1/graph over real HTTP, as Zincati asks it: the built graph, rollout throttling on the portal's
/// (fake) clock, and the portal's policy for a device recognised by its node UUID.
/// </summary>
public sealed class CincinnatiEndpointTests(CincinnatiEndpointTests.Fixture fixture) : IClassFixture<CincinnatiEndpointTests.Fixture>
{
    private const string Barrier3 = "32.20201104.3.0";
    private const string Barrier4 = "33.20201201.3.0";
    private const string Newest = "33.20201214.3.1";

    private PortalInstance Portal => fixture.Portal;

    private FakeTimeProvider Clock => fixture.Clock;

    [Fact]
    public async Task Graph_ImportedFixtures_UpstreamGraphInZincatisShape()
    {
        // The newest release rolled out (in 2020) so that every metadata key Zincati's example has appears.
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, FixtureStreams.UpdatesWith(
            (Newest, """{"rollout":{"start_epoch":1591279200,"start_percentage":0.0,"duration_minutes":2880}}""")));

        var (status, graph, response) = await UpdateTestSupport.GetGraphAsync(Portal,
            $"basearch=x86_64&stream={stream}&os_version=32.20200615.3.0&os_checksum=abb4&group=default&node_uuid=e0f3745b108f471cbd4883c6fbed8cdd&platform=metal&rollout_wariness=0.500000");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(stream, response.Headers.GetValues("Fleet-Update-Stream").Single());
        Assert.Equal(26, graph.GetProperty("nodes").GetArrayLength());
        Assert.Equal(25, graph.GetProperty("edges").GetArrayLength());
        var upstream = System.Text.Json.JsonDocument.Parse(SharedInterop.Fixture("zincati-cincinnati-response.json"));
        GraphConformanceTests.AssertSameShape(upstream.RootElement, graph);
        Assert.Contains(("32.20200615.3.0", Barrier3), UpdateTestSupport.Edges(graph));
    }

    [Fact]
    public async Task Graph_OciTrue_ZincatiOnAnImageFindsItsReleaseByDigestReference()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var index = System.Text.Json.JsonDocument.Parse(FixtureStreams.Releases).RootElement.GetProperty("releases")[0];
        var version = index.GetProperty("version").GetString();
        var query = $"basearch=x86_64&stream={stream}&os_version={version}&rollout_wariness=0.5";

        var (status, oci, _) = await UpdateTestSupport.GetGraphAsync(Portal, query + "&oci=true");
        var (_, ostree, _) = await UpdateTestSupport.GetGraphAsync(Portal, query + "&oci=false");

        Assert.Equal(HttpStatusCode.OK, status);
        var node = Assert.Single(oci.GetProperty("nodes").EnumerateArray());
        var digestRef = index.GetProperty("oci-images")[0].GetProperty("digest-ref").GetString();
        Assert.Equal(version, node.GetProperty("version").GetString());
        Assert.Equal(digestRef, node.GetProperty("payload").GetString());
        Assert.Equal("oci", Scheme(node));
        Assert.Equal(26, ostree.GetProperty("nodes").GetArrayLength());
        Assert.Equal("checksum", Scheme(ostree.GetProperty("nodes")[0]));

        static string? Scheme(System.Text.Json.JsonElement node) =>
            node.GetProperty("metadata").GetProperty("org.fedoraproject.coreos.scheme").GetString();
    }

    [Theory]
    [InlineData("stream=stable", 400, "missing_parameter")]
    [InlineData("basearch=x86_64", 400, "missing_parameter")]
    [InlineData("basearch=x86_64&stream=nosuchstream", 404, "unknown_stream")]
    [InlineData("basearch=x86_64&stream=stable&os_version=not%20a%20version", 400, "invalid_version")]
    [InlineData("basearch=x86_64&stream=stable&rollout_wariness=lots", 400, "invalid_parameter")]
    [InlineData("basearch=x86_64&stream=stable&node_uuid=xyz", 400, "invalid_parameter")]
    [InlineData("basearch=x86_64&stream=Stable!", 400, "invalid_parameter")]
    [InlineData("basearch=x86_64&stream=stable&oci=yes", 400, "invalid_parameter")]
    public async Task Graph_BadRequest_KindAndValue(string query, int expectedStatus, string kind)
    {
        var (status, body, _) = await UpdateTestSupport.GetGraphAsync(Portal, query);

        Assert.Equal(expectedStatus, (int)status);
        Assert.Equal(kind, body.GetProperty("kind").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task Graph_RollingOut_EdgeAppearsWhenThrottlePassesWariness()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var newest = (await Portal.Updates().GetStreamAsync(stream))!.Releases.Single(r => r.Version == Newest);
        var change = await Portal.Updates().SetRolloutAsync(newest.Id, new RolloutInput(null, 0.1, 60), TestActors.Operator);
        Assert.True(change.Succeeded, change.Message);
        var query = $"basearch=x86_64&stream={stream}&os_version={Barrier4}&rollout_wariness=0.55";

        async Task<bool> OfferedAsync() => UpdateTestSupport.Edges((await UpdateTestSupport.GetGraphAsync(Portal, query)).Body).Contains((Barrier4, Newest));

        Assert.False(await OfferedAsync());                 // 0.1 at the start
        Clock.Advance(TimeSpan.FromMinutes(29));             // 0.1 + 0.9 * 29/60 = 0.535
        Assert.False(await OfferedAsync());
        Clock.Advance(TimeSpan.FromMinutes(2));              // 0.1 + 0.9 * 31/60 = 0.565
        Assert.True(await OfferedAsync());
        Assert.Contains((Barrier4, Newest), UpdateTestSupport.Edges((await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&rollout_wariness=0")).Body));
    }

    [Fact]
    public async Task Graph_DeviceOrGroupOrStreamPaused_NodesButNoEdgesUntilExpiry()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var group = await UpdateTestSupport.CreateGroupAsync(Portal, stream);
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "paused-device");
        Assert.True((await Portal.Updates().AssignDevicesAsync(group, [device], TestActors.Operator)).Succeeded);
        var query = $"basearch=x86_64&stream={stream}&node_uuid={uuid}&rollout_wariness=0.5";
        async Task<(int Nodes, int Edges)> AskAsync()
        {
            var (_, graph, _) = await UpdateTestSupport.GetGraphAsync(Portal, query);
            return (graph.GetProperty("nodes").GetArrayLength(), graph.GetProperty("edges").GetArrayLength());
        }

        Assert.Equal((26, 24), await AskAsync());

        Assert.True((await Portal.Updates().PauseAsync(UpdateTarget.Device(device), "investigating", null, TestActors.Operator)).Succeeded);
        Assert.Equal((26, 0), await AskAsync());
        Assert.True((await Portal.Updates().UnpauseAsync(UpdateTarget.Device(device), TestActors.Operator)).Succeeded);

        Assert.True((await Portal.Updates().PauseAsync(UpdateTarget.Group(group), "change freeze", Clock.GetUtcNow().AddHours(1), TestActors.Operator)).Succeeded);
        Assert.Equal((26, 0), await AskAsync());
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal((26, 24), await AskAsync());           // the pause expired by itself

        Assert.True((await Portal.Updates().PauseAsync(UpdateTarget.Stream(stream), "bad release upstream", null, TestActors.Operator)).Succeeded);
        Assert.Equal((26, 0), await AskAsync());
    }

    [Fact]
    public async Task Graph_DevicePinned_OnlyTheEdgeToThePinnedVersion()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "pinned-device");
        Assert.True((await Portal.Updates().SetDeviceStreamAsync(device, stream, TestActors.Operator)).Succeeded);
        Assert.True((await Portal.Updates().PinAsync(UpdateTarget.Device(device), "32.20201018.3.0", TestActors.Operator)).Succeeded);

        var (_, graph, _) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&os_version=32.20200615.3.0&node_uuid={uuid}");
        var fromBooted = UpdateTestSupport.Edges(graph).Where(e => e.From == "32.20200615.3.0").ToList();

        Assert.Equal([("32.20200615.3.0", "32.20201018.3.0")], fromBooted);
        Assert.All(UpdateTestSupport.Edges(graph), e => Assert.True(e.To is "32.20201018.3.0" or "31.20200517.3.0" or "32.20200615.3.0", $"{e}"));
    }

    [Fact]
    public async Task Graph_GroupPinnedDeviceUnpinned_GroupPinApplies()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var group = await UpdateTestSupport.CreateGroupAsync(Portal, stream);
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "group-pinned");
        await Portal.Updates().AssignDevicesAsync(group, [device], TestActors.Operator);
        Assert.True((await Portal.Updates().PinAsync(UpdateTarget.Group(group), Barrier3, TestActors.Operator)).Succeeded);

        var (_, graph, _) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&node_uuid={uuid}");

        Assert.Equal(Barrier3, Assert.Single(UpdateTestSupport.Edges(graph), e => e.From == "32.20200629.3.0").To);
        Assert.DoesNotContain(UpdateTestSupport.Edges(graph), e => e.To == Barrier4);
    }

    [Fact]
    public async Task Graph_ReleaseHalted_NoEdgeIntoItForAnyone()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var barrier = (await Portal.Updates().GetStreamAsync(stream))!.Releases.Single(r => r.Version == Barrier4);
        Assert.True((await Portal.Updates().HaltReleaseAsync(barrier.Id, "boot loops on our hardware", TestActors.Operator)).Succeeded);

        var (_, graph, _) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&rollout_wariness=0");

        Assert.DoesNotContain(UpdateTestSupport.Edges(graph), e => e.To == Barrier4);
        Assert.Contains(UpdateTestSupport.Edges(graph), e => e.To == Barrier3);
        Assert.True((await Portal.Updates().ResumeReleaseAsync(barrier.Id, TestActors.Operator)).Succeeded);
        Assert.Contains(UpdateTestSupport.Edges((await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}")).Body), e => e.To == Barrier4);
    }

    [Fact]
    public async Task Graph_DeviceAssignedOtherStream_AnswersTheAssignedStream()
    {
        var assigned = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "moved-device");
        await Portal.Updates().SetDeviceStreamAsync(device, assigned, TestActors.Operator);

        var (status, graph, response) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream=stable&node_uuid={uuid}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(assigned, response.Headers.GetValues("Fleet-Update-Stream").Single());
        Assert.Equal(0, graph.GetProperty("nodes").GetArrayLength());
    }

    [Fact]
    public async Task Graph_UnknownNodeInNamedGroup_GroupPolicyApplies()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal);
        var group = await UpdateTestSupport.CreateGroupAsync(Portal);
        await Portal.Updates().PauseAsync(UpdateTarget.Group(group), "hold", null, TestActors.Operator);
        var name = await UpdateTestSupport.GroupNameAsync(Portal, group);

        var (_, paused, _) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&group={name}&node_uuid={Guid.NewGuid():N}");
        var (_, other, _) = await UpdateTestSupport.GetGraphAsync(Portal, $"basearch=x86_64&stream={stream}&group=elsewhere&node_uuid={Guid.NewGuid():N}");

        Assert.Equal(0, paused.GetProperty("edges").GetArrayLength());
        Assert.Equal(24, other.GetProperty("edges").GetArrayLength());
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(time: Clock);

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
