using System.Net;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// <c>GET /boot.ipxe</c>: the live PXE artifacts of the device's stream from imported stream metadata, and a signed
/// config URL without secrets. Errors are 200 scripts: iPXE does not run the body of a non-2xx answer.
/// </summary>
public sealed class BootScriptTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task BootIpxe_ImportedStreamMetadata_BootsLivePxeWithInstallDeviceAndSecretlessSignedUrl()
    {
        var import = await Portal.Services.GetRequiredService<ReleaseImportService>()
            .ImportAsync(
                "stable",
                new ReleaseImportDocuments(null, null, SharedInterop.Fixture("fcos-stream.json")),
                TestActors.Operator);
        Assert.True(import.Change.Succeeded, import.Change.Message);
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var (other, otherMac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        Assert.True((await Portal.Configs().SetVariableAsync(other, "install_dev", "/dev/nvme0n1", secret: false, TestActors.Operator)).Succeeded);
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };

        var script = await client.GetStringAsync($"/boot.ipxe?mac={mac.Replace(':', '-')}");
        var otherScript = await client.GetStringAsync($"/boot.ipxe?mac={otherMac}");
        using var unknown = await client.GetAsync("/boot.ipxe?mac=02:00:00:00:00:99");
        using var noArtifacts = await client.GetAsync($"/boot.ipxe?mac={mac}&arch=riscv64");

        Assert.StartsWith("#!ipxe\n", script, StringComparison.Ordinal);
        Assert.Contains("kernel https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/33.20201201.3.0/x86_64/fedora-coreos-33.20201201.3.0-live-kernel-x86_64 initrd=main", script, StringComparison.Ordinal);
        Assert.Contains("coreos.live.rootfs_url=https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/33.20201201.3.0/x86_64/fedora-coreos-33.20201201.3.0-live-rootfs.x86_64.img", script, StringComparison.Ordinal);
        Assert.Contains("initrd --name main https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/33.20201201.3.0/x86_64/fedora-coreos-33.20201201.3.0-live-initramfs.x86_64.img", script, StringComparison.Ordinal);
        Assert.Contains("coreos.inst.install_dev=/dev/sda ", script, StringComparison.Ordinal);
        var portalUrl = Portal.Services.GetRequiredService<Fleet.Portal.Features.Devices.PortalPublicUrl>().Get();
        var omitUrl = $"ignition.config.url={portalUrl}ignition?device={device:N}&secrets=omit&exp=";
        Assert.Contains(omitUrl, script, StringComparison.Ordinal);
        Assert.Contains("&sig=", script, StringComparison.Ordinal);
        Assert.Contains("coreos.inst.install_dev=/dev/nvme0n1 ", otherScript, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        var reason = "no device has MAC 02:00:00:00:00:99; GET /ignition?mac=02:00:00:00:00:99 records it as pending";
        Assert.Equal(BootScriptEndpoints.ErrorScript(reason),
            await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, noArtifacts.StatusCode);
        var noArtifactsScript = await noArtifacts.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("riscv64", noArtifactsScript, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nonsense", "mac 'nonsense' is not a MAC address")]
    [InlineData("", "mac '' is not a MAC address")]
    [InlineData("%24%7Bnet0%2Fmac%7D%0Aboot", "mac '?{net0/mac}?boot' is not a MAC address")]
    public async Task BootIpxe_BadMac_200ScriptThatEchoesTheReasonPausesAndExits(string mac, string reason)
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };

        using var response = await client.GetAsync($"/boot.ipxe?mac={mac}", TestContext.Current.CancellationToken);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n');

        // iPXE runs a fetched script only from a 2xx answer; a 4xx body would never be shown on the console.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("#!ipxe", lines[0]);
        Assert.StartsWith("echo Fleet: " + reason, lines[1], StringComparison.Ordinal);
        Assert.Equal(["sleep 30", "exit 1", ""], lines[2..]);
    }
}
