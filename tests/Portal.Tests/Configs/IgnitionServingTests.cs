using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Configs;

/// <summary><c>GET /ignition</c> over real HTTP against a real portal; every served config goes through the real <c>ignition-validate</c>.</summary>
public sealed class IgnitionServingTests(IgnitionServingTests.Fixture fixture) : IClassFixture<IgnitionServingTests.Fixture>
{
    private PortalInstance Portal => fixture.Portal;

    private FakeTimeProvider Clock => fixture.Clock;

    private ConfigService Service => Portal.Configs();

    [Fact]
    public async Task Get_LayersMergedTemplatedAndKeysInjected_ValidIgnition()
    {
        var group = await GroupAsync();
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "edge-7", groupId: group);
        var fleet = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/motd", "fleet motd", "fleet.service"));
        var byGroup = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/motd", "group motd for {{device.group}}", "group.service"));
        var byDevice = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/hostname", "{{device.hostname}} at {{vars.site}}", "device.service"));
        await Assign(fleet, ConfigScope.Device, null, await OtherDeviceAsync());   // another device's config must not leak
        await Assign(byGroup, ConfigScope.Group, group, null);
        await Assign(byDevice, ConfigScope.Device, null, device);
        await Service.SetVariableAsync(device, "site", "berlin", secret: false, TestActors.Operator);
        await Service.AddSshKeyAsync(null, group, Key(1), TestActors.Operator);

        using var response = await GetAsync($"/ignition?mac={mac.Replace(':', '-').ToUpperInvariant()}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(IgnitionEndpoints.ContentType, response.Content.Headers.ContentType?.MediaType);
        var config = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("group motd for " + (await GroupNameAsync(group)), File(config, "/etc/motd"));
        Assert.Equal("edge-7 at berlin", File(config, "/etc/hostname"));
        Assert.Equal(["group.service", "device.service"], config["systemd"]!["units"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()));
        Assert.Contains(Key(1), config["passwd"]!["users"]![0]!["sshAuthorizedKeys"]!.AsArray().Select(k => k!.GetValue<string>()));
        var (exit, output) = await ConfigTestSupport.ValidateAsync(body);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task RenderMany_DevicesInDifferentGroups_EachAsRenderedAlone()
    {
        // The config pusher renders many devices from one read of their inputs: every device must still get
        // exactly its own layers, group name, keys and variables, and never another device's.
        var (groupA, groupB) = (await GroupAsync(), await GroupAsync());
        var fleet = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/fleet", "fleet", "fleet.service"));
        var byGroupA = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/group", "A {{device.group}}", "a.service"));
        var byGroupB = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/group", "B {{device.group}}", "b.service"));
        var byDevice = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/site", "{{device.hostname}} at {{vars.site}}", "site.service"));
        var (a1, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "a-1", groupId: groupA);
        var (a2, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "a-2", groupId: groupA);
        var (b1, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "b-1", groupId: groupB);
        var (none, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "no-group");
        await Assign(byGroupA, ConfigScope.Group, groupA, null);
        await Assign(byGroupB, ConfigScope.Group, groupB, null);
        await Assign(byDevice, ConfigScope.Device, null, a2);
        await Assign(byDevice, ConfigScope.Device, null, b1);
        await Service.SetVariableAsync(a2, "site", "berlin", secret: false, TestActors.Operator);
        await Service.SetVariableAsync(b1, "site", "hamburg", secret: false, TestActors.Operator);
        await Service.AddSshKeyAsync(null, groupA, Key(11), TestActors.Operator);
        await Service.AddSshKeyAsync(null, groupB, Key(12), TestActors.Operator);
        var renderer = Portal.Services.GetRequiredService<ConfigRenderer>();
        try
        {
            await Assign(fleet, ConfigScope.Fleet, null, null);
            Guid[] ids = [a1, a2, b1, none, Guid.NewGuid()];

            var many = await renderer.RenderManyAsync(ids, SecretMode.Reveal);

            Assert.Equal(4, many.Count);   // the unknown id is missing, not an error
            foreach (var id in ids[..4])
            {
                var alone = (await renderer.RenderAsync(id, SecretMode.Reveal))!;
                Assert.Equal(alone.Ignition?.ToJsonString(), many[id].Ignition?.ToJsonString());
                Assert.Equal(alone.Layers, many[id].Layers);
                Assert.Equal(alone.Fingerprint, many[id].Fingerprint);
            }

            Assert.Equal("A " + await GroupNameAsync(groupA), File(many[a1].Ignition!, "/etc/group"));
            Assert.False(Has(many[a1].Ignition!, "/etc/site"));
            Assert.Equal("a-2 at berlin", File(many[a2].Ignition!, "/etc/site"));
            Assert.Equal("b-1 at hamburg", File(many[b1].Ignition!, "/etc/site"));
            Assert.Equal("fleet", File(many[none].Ignition!, "/etc/fleet"));
            Assert.False(Has(many[none].Ignition!, "/etc/group"));
            Assert.Equal([Key(11)], Keys(many[a1].Ignition!).Where(k => k == Key(11) || k == Key(12)));
            Assert.Equal([Key(12)], Keys(many[b1].Ignition!).Where(k => k == Key(11) || k == Key(12)));
            Assert.DoesNotContain(Key(11), Keys(many[none].Ignition!));
        }
        finally
        {
            Assert.True((await Service.UnassignAsync(ConfigScope.Fleet, null, null, TestActors.Operator)).Succeeded);   // the fixture's other tests render without a fleet layer
        }

        static bool Has(JsonObject config, string path) =>
            config["storage"]?["files"]?.AsArray().Any(f => f!["path"]!.GetValue<string>() == path) == true;

        static IEnumerable<string> Keys(JsonObject config) =>
            config["passwd"]?["users"]?[0]?["sshAuthorizedKeys"]?.AsArray().Select(k => k!.GetValue<string>()) ?? [];
    }

    [Fact]
    public async Task Get_AcceptHeader_ConvertedOr406WithTheReason()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        await Assign(await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/x", "x")), ConfigScope.Device, null, device);
        var (kargs, kargsMac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        await Assign(await ConfigTestSupport.CreateAsync(Portal, """{"ignition":{"version":"3.3.0"},"kernelArguments":{"shouldExist":["quiet"]}}"""), ConfigScope.Device, null, kargs);

        using var up = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.4.0, */*;q=0.1");
        using var down = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.0.0, */*;q=0.1");
        using var impossible = await GetAsync($"/ignition?mac={kargsMac}", "application/vnd.coreos.ignition+json;version=3.2.0, */*;q=0.1");

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal("3.4.0", JsonNode.Parse(await up.Content.ReadAsStringAsync())!["ignition"]!["version"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        var downBody = await down.Content.ReadAsStringAsync();
        Assert.Equal("3.0.0", JsonNode.Parse(downBody)!["ignition"]!["version"]!.GetValue<string>());
        var (exit, output) = await ConfigTestSupport.ValidateAsync(downBody);
        Assert.True(exit == 0, output);
        Assert.Equal(HttpStatusCode.NotAcceptable, impossible.StatusCode);
        Assert.Contains("kernelArguments", await impossible.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownMac_404AndOnePendingDeviceWhichThenGetsAConfigWithoutSecrets()
    {
        var mac = "02:00:00:" + Guid.NewGuid().ToString("N")[..6].Insert(2, ":").Insert(5, ":");

        using var first = await GetAsync($"/ignition?mac={mac.Replace(":", "", StringComparison.Ordinal)}");
        using var again = await GetAsync($"/ignition?mac={mac}");
        using var bad = await GetAsync("/ignition?mac=not-a-mac");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);   // now a known, unapproved device: served, without secrets
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not a MAC address", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var db = await Portal.CreateDbAsync();
        var pending = await db.Devices.Where(d => d.Macs.Any(m => m.Mac == mac)).ToListAsync();
        Assert.Equal(EnrollmentState.Pending, Assert.Single(pending).State);
    }

    [Fact]
    public async Task Get_Secrets_OnlyApprovedDeviceOverSignedUrlWhichExpires()
    {
        var (approved, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var (pending, _) = await ConfigTestSupport.AddDeviceAsync(Portal, EnrollmentState.Pending);
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/token", "token={{vars.token}}"));
        await Assign(id, ConfigScope.Device, null, approved);
        await Assign(id, ConfigScope.Device, null, pending);
        await Service.SetVariableAsync(approved, "token", "approved-secret", secret: true, TestActors.Operator);
        await Service.SetVariableAsync(pending, "token", "pending-secret", secret: true, TestActors.Operator);
        var signer = Portal.Services.GetRequiredService<IgnitionUrlSigner>();

        var unsigned = await BodyAsync($"/ignition?mac={mac}");
        var signedUrl = signer.SignedUrl(approved, SecretMode.Reveal, TimeSpan.FromMinutes(10));
        var signed = await BodyAsync(signedUrl.PathAndQuery);
        var pendingUrl = signer.SignedUrl(pending, SecretMode.Reveal, TimeSpan.FromMinutes(10));
        var pendingSigned = await BodyAsync(pendingUrl.PathAndQuery);
        using var tampered = await GetAsync(signedUrl.PathAndQuery.Replace($"device={approved:N}", $"device={pending:N}", StringComparison.Ordinal));
        Clock.Advance(TimeSpan.FromMinutes(11));
        using var expired = await GetAsync(signedUrl.PathAndQuery);

        Assert.Equal("token=", File(JsonNode.Parse(unsigned)!.AsObject(), "/etc/token"));
        Assert.Equal("token=approved-secret", File(JsonNode.Parse(signed)!.AsObject(), "/etc/token"));
        Assert.Equal("token=", File(JsonNode.Parse(pendingSigned)!.AsObject(), "/etc/token"));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_AfterConfigAssignmentVariableOrGroupChange_ServesTheNewConfig()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/motd", "v1 {{vars.site}}"));
        await Service.SetVariableAsync(device, "site", "a", secret: false, TestActors.Operator);
        await Assign(id, ConfigScope.Device, null, device);
        var first = File(await ConfigAsync(mac), "/etc/motd");

        await Service.SaveVersionAsync(id, ConfigTestSupport.Ignition("/etc/motd", "v2 {{vars.site}}"), "v2", TestActors.Operator);
        var afterSave = File(await ConfigAsync(mac), "/etc/motd");
        await Service.SetVariableAsync(device, "site", "b", secret: false, TestActors.Operator);
        var afterVariable = File(await ConfigAsync(mac), "/etc/motd");
        var group = await GroupAsync();
        await Assign(await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/group", "in {{device.group}}", "g.service")), ConfigScope.Group, group, null);
        await Portal.Services.GetRequiredService<UpdateService>().AssignDevicesAsync(group, [device], TestActors.Operator);
        var afterGroup = await ConfigAsync(mac);

        Assert.Equal("v1 a", first);
        Assert.Equal("v2 a", afterSave);
        Assert.Equal("v2 b", afterVariable);
        Assert.Equal("in " + await GroupNameAsync(group), File(afterGroup, "/etc/group"));
    }

    [Fact]
    public async Task Cache_DeviceChangeOutsideRenderInputs_KeepsTheEntry_HostnameChange_RendersAgain()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "before");
        await Assign(await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/hostname", "{{device.hostname}}")), ConfigScope.Device, null, device);
        var cache = Portal.Services.GetRequiredService<IgnitionCache>();
        var notifier = Portal.Services.GetRequiredService<Fleet.Portal.Data.DeviceNotifier>();

        // A heartbeat or health report: the device changed, but nothing a render reads. Background services of
        // the shared portal may change the device at the same moment (then a render is right), so a few tries.
        var reused = false;
        var before = await cache.GetAsync(device, SecretMode.Reveal, TestContext.Current.CancellationToken);
        for (var attempt = 0; attempt < 10 && !reused; attempt++)
        {
            await using (var db = await Portal.CreateDbAsync())
            {
                await db.Devices.Where(d => d.Id == device).ExecuteUpdateAsync(u => u.SetProperty(d => d.UptimeSeconds, 1000 + attempt), TestContext.Current.CancellationToken);
            }

            notifier.Notify([device]);
            var after = await cache.GetAsync(device, SecretMode.Reveal, TestContext.Current.CancellationToken);
            reused = ReferenceEquals(before, after);
            before = after;
        }

        await using (var db = await Portal.CreateDbAsync())
        {
            await db.Devices.Where(d => d.Id == device).ExecuteUpdateAsync(u => u.SetProperty(d => d.Hostname, "after"), TestContext.Current.CancellationToken);
        }

        notifier.Notify([device]);
        var afterRename = File(await ConfigAsync(mac), "/etc/hostname");

        Assert.True(reused, "every device change rendered the config again");
        Assert.Equal("after", afterRename);
    }

    [Fact]
    public async Task Get_MissingVariable_422WithTheVariableNamed()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        await Assign(await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/motd", "{{vars.undefined_here}}")), ConfigScope.Device, null, device);

        using var response = await GetAsync($"/ignition?mac={mac}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("{{vars.undefined_here}}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static string Key(int seed)
    {
        var type = "ssh-ed25519"u8.ToArray();
        var blob = new byte[4 + type.Length + 4 + 32];
        BinaryPrimitives.WriteInt32BigEndian(blob, type.Length);
        type.CopyTo(blob, 4);
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(4 + type.Length), 32);
        blob.AsSpan(8 + type.Length).Fill((byte)seed);
        return $"ssh-ed25519 {Convert.ToBase64String(blob)} key{seed}@test";
    }

    internal static string File(JsonObject config, string path)
    {
        var source = config["storage"]!["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == path)!["contents"]!["source"]!.GetValue<string>();
        Assert.True(Templating.TryDecodeDataUrl(source, gzip: false, out var content));
        return content;
    }

    private async Task<JsonObject> ConfigAsync(string mac) => JsonNode.Parse(await BodyAsync($"/ignition?mac={mac}"))!.AsObject();

    private async Task<string> BodyAsync(string pathAndQuery)
    {
        using var response = await GetAsync(pathAndQuery);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        return body;
    }

    private async Task<HttpResponseMessage> GetAsync(string pathAndQuery, string? accept = null)
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await client.SendAsync(request);
    }

    private async Task Assign(int configId, ConfigScope scope, int? group, Guid? device) =>
        Assert.True((await Service.AssignAsync(configId, scope, group, device, TestActors.Operator)).Succeeded);

    private async Task<Guid> OtherDeviceAsync() => (await ConfigTestSupport.AddDeviceAsync(Portal)).Id;

    private Task<int> GroupAsync() => Updates.UpdateTestSupport.CreateGroupAsync(Portal);

    private Task<string> GroupNameAsync(int id) => Updates.UpdateTestSupport.GroupNameAsync(Portal, id);

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        // The clock stands still, so the per-address allowance never refills; these tests are about serving.
        public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Configs:AnonymousRequestBurst"] = "100000" }, time: Clock);

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
