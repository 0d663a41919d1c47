using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// The real Ignition (Debian's 2.14, <c>-platform file</c>) fetches a device's config from a running portal
/// through <c>ignition.config.replace</c> and writes it into a temporary root: what the portal assigned is
/// what lands on disk.
/// </summary>
public sealed class RealIgnitionTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Ignition_FetchAndFilesStages_WritesAssignedFilesAndUnits()
    {
        var service = Portal.Configs();
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "ign-e2e");
        var fleet = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/fleet-motd", "managed by fleet\n", "fleet-hello.service"));
        var own = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/fleet-secret", "token={{vars.token}}\n", "fleet-device.service"));
        Assert.True((await service.AssignAsync(fleet, ConfigScope.Fleet, null, null, TestActors.Operator)).Succeeded);
        Assert.True((await service.AssignAsync(own, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);
        Assert.True((await service.SetVariableAsync(device, "token", "e2e-secret", secret: true, TestActors.Operator)).Succeeded);
        var url = Portal.Services.GetRequiredService<IgnitionUrlSigner>()
            .SignedUrl(device, SecretMode.Reveal, TimeSpan.FromMinutes(10));
        url = new Uri(Portal.BaseAddress, url.PathAndQuery);   // the portal's public URL guess may name this host; the test reaches it on loopback

        var work = Directory.CreateTempSubdirectory("fleet-ignition-e2e-").FullName;
        try
        {
            var root = Path.Combine(work, "root");
            var output = await IgnitionRun.FetchAndWriteAsync(work, url);

            Assert.Contains("Ignition finished successfully", output, StringComparison.Ordinal);
            Assert.Equal("managed by fleet\n", await File.ReadAllTextAsync(Path.Combine(root, "etc", "fleet-motd")));
            Assert.Equal("token=e2e-secret\n", await File.ReadAllTextAsync(Path.Combine(root, "etc", "fleet-secret")));
            Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", "fleet-hello.service")), output);
            Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", "fleet-device.service")), output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
