using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Ignition;
using Microsoft.Extensions.DependencyInjection;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// A secret variable used in a device's config reaches only the device and people who may manage devices: an anonymous
/// caller who knows the MAC and a HelpDesk token never see its plaintext, in anything they fetch or in any URL they
/// were handed and follow.
/// </summary>
public sealed partial class SecretExposureTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task BootIpxe_AnonymousCallerFollowingEveryPortalUrl_NeverGetsTheSecret()
    {
        var stream = new ReleaseImportDocuments(null, null, SharedInterop.Fixture("fcos-stream.json"));
        var import = await Portal.Services.GetRequiredService<ReleaseImportService>()
            .ImportAsync("stable", stream, TestActors.Operator);
        Assert.True(import.Change.Succeeded, import.Change.Message);
        var (device, mac, secret) = await DeviceWithSecretAsync();
        using var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress };
        var ct = TestContext.Current.CancellationToken;

        var script = await anonymous.GetStringAsync($"/boot.ipxe?mac={mac}", ct);
        var followed = await FollowAsync(anonymous, script);
        var byMac = await anonymous.GetStringAsync($"/ignition?mac={mac}", ct);
        var omitUrl = PortalUrls(script).First();
        var withoutScope = omitUrl.Replace("&secrets=omit", string.Empty, StringComparison.Ordinal);
        using var scopeRemoved = await anonymous.GetAsync(withoutScope, ct);
        var otherScope = omitUrl.Replace("secrets=omit", "secrets=reveal", StringComparison.Ordinal);
        using var scopeChanged = await anonymous.GetAsync(otherScope, ct);
        var devicesOwnUrl = Signer.SignedUrl(device, SecretMode.Reveal).PathAndQuery;
        var pushedToDevice = await anonymous.GetStringAsync(devicesOwnUrl, ct);

        Assert.Equal(2, followed.Count);   // coreos.inst.ignition_url and ignition.config.url
        Assert.All(followed, f => Assert.Equal(HttpStatusCode.OK, f.Status));
        Assert.All(followed, f => Assert.False(Reveals(f.Body, secret), f.Body));
        Assert.False(Reveals(script, secret));
        Assert.False(Reveals(byMac, secret));
        Assert.Equal(HttpStatusCode.Forbidden, scopeRemoved.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, scopeChanged.StatusCode);
        Assert.True(Reveals(pushedToDevice, secret), "the device's own URL carries the secret, or this proves nothing");
    }

    [Fact]
    public async Task DeviceConfigApi_HelpDesk_NoSignedUrlAndNoSecret_OperatorGetsAWorkingSignedUrl()
    {
        var (device, _, secret) = await DeviceWithSecretAsync();
        using var helpDesk = await ClientAsync(Roles.HelpDesk);
        using var operatorClient = await ClientAsync(Roles.Operator);
        var ct = TestContext.Current.CancellationToken;

        var seen = new List<string>
        {
            await helpDesk.GetStringAsync($"/api/v1/configs/devices/{device}", ct),
            await helpDesk.GetStringAsync($"/api/v1/configs/devices/{device}/variables", ct),
            await helpDesk.GetStringAsync($"/api/v1/devices/{device}", ct),
        };
        var followed = await FollowAsync(helpDesk, string.Join('\n', seen));
        var asOperator = await operatorClient
            .GetFromJsonAsync<DeviceConfigDto>($"/api/v1/configs/devices/{device}", ct);
        using var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress };
        var operatorCopy = await anonymous.GetStringAsync(new Uri(asOperator!.SignedUrl!).PathAndQuery, ct);

        Assert.Contains("\"signedUrl\":null", seen[0], StringComparison.Ordinal);
        Assert.All(seen, body => Assert.False(Reveals(body, secret), body));
        Assert.Empty(followed);
        Assert.DoesNotContain(secret, asOperator.Ignition, StringComparison.Ordinal);
        Assert.True(Reveals(operatorCopy, secret), "an Operator copying the signed URL gets the secrets");
    }

    private IgnitionUrlSigner Signer => Portal.Services.GetRequiredService<IgnitionUrlSigner>();

    /// <summary>An approved device whose config writes a secret variable into a file.</summary>
    private async Task<(Guid Id, string Mac, string Secret)> DeviceWithSecretAsync()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var secret = "pw-" + Guid.NewGuid().ToString("N");
        var source = ConfigTestSupport.Ignition("/etc/token", "token={{vars.token}}");
        var config = await ConfigTestSupport.CreateAsync(Portal, source);
        var configs = Portal.Configs();
        var assigned = await configs.AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator);
        Assert.True(assigned.Succeeded, assigned.Message);
        var set = await configs.SetVariableAsync(device, "token", secret, secret: true, TestActors.Operator);
        Assert.True(set.Succeeded, set.Message);
        return (device, mac, secret);
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        var token = await ApiTokens.GetTokenAsync(Portal, role);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Fetches every URL in <paramref name="text"/> that points at the portal, as its holder could.</summary>
    private async Task<List<(HttpStatusCode Status, string Body)>> FollowAsync(HttpClient client, string text)
    {
        var results = new List<(HttpStatusCode, string)>();
        foreach (var url in PortalUrls(text))
        {
            using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            results.Add((response.StatusCode, body));
        }

        return results;
    }

    private IEnumerable<string> PortalUrls(string text)
    {
        var portal = Portal.Services.GetRequiredService<PortalPublicUrl>().Get();
        return AbsoluteUrl().Matches(text)
            .Select(m => new Uri(m.Value.Replace("\\u0026", "&", StringComparison.Ordinal)))
            .Where(u => u.Authority == portal.Authority || u.Authority == Portal.BaseAddress.Authority)
            .Select(u => u.PathAndQuery);
    }

    /// <summary>
    /// Whether the secret is in <paramref name="text"/>, as is or in any <c>data:</c> URL (base64 or gzip too).
    /// </summary>
    private static bool Reveals(string text, string secret) =>
        text.Contains(secret, StringComparison.Ordinal)
        || DataUrls().Matches(text).Any(m =>
            DataUrl.TryDecode(m.Value, out var bytes) && Decoded(bytes).Contains(secret, StringComparison.Ordinal));

    private static string Decoded(byte[] bytes)
    {
        if (bytes is not [0x1f, 0x8b, ..])
        {
            return Encoding.UTF8.GetString(bytes);
        }

        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"https?://[^\s""\\]+(\\u0026[^\s""\\]+)*")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex(@"data:[^""\s]*")]
    private static partial Regex DataUrls();
}
