using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Agents;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// The real Ignition fetches a device's config from a portal public on HTTPS with the portal CA in its base config,
/// and the config's own fetch from the portal (the agent build) with the CA the portal added to it; with another CA
/// in the base config it refuses the portal's certificate. The agent layer leaves the CA chain and the agent.env
/// keys that point at it on the machine.
/// </summary>
public sealed class IgnitionHttpsTests : IDisposable
{
    private const string Version = "1.0.0";

    private readonly string _work = Directory.CreateTempSubdirectory("fleet-ignition-https-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task RealIgnition_PortalCaInBaseConfig_FetchesOverHttpsAndAnotherCaIsRefused()
    {
        Assert.SkipUnless(File.Exists(IgnitionRun.Binary), $"the real Ignition ({IgnitionRun.Binary}) is absent");
        var data = Path.Combine(_work, "data");
        var build = Path.Combine(data, "agents", Version, "x86_64", AgentCatalog.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(build)!);
        await File.WriteAllBytesAsync(build, AgentFiles.Elf(AgentFiles.X86_64), TestContext.Current.CancellationToken);
        await using var portal = await PortalInstance.StartAsync(dataDirectory: data, https: true);
        var chain = portal.Services.GetRequiredService<PortalCertificateAuthority>().ChainPem;
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(portal);
        var url = portal.Services.GetRequiredService<IgnitionUrlSigner>().SignedUrl(device, SecretMode.Reveal);
        Assert.Equal(Uri.UriSchemeHttps, url.Scheme);
        Assert.Equal(portal.HttpsAddress!.Port, url.Port);

        var other = new PortalCertificateAuthority(Options.Create(new TlsOptions()),
            new Fleet.Portal.Data.FleetDataDirectory(Path.Combine(_work, "other")), TimeProvider.System,
            NullLogger<PortalCertificateAuthority>.Instance);
        var refused = await IgnitionRun.FetchAsync(Path.Combine(_work, "refused"), url, other.ChainPem,
            giveUpAfter: TimeSpan.FromSeconds(5));
        Assert.True(refused.ExitCode != 0, refused.Output);
        Assert.Contains("certificate signed by unknown authority", refused.Output, StringComparison.Ordinal);

        var machine = Path.Combine(_work, "machine");
        var log = await IgnitionRun.FetchAndWriteAsync(machine, url, chain);
        Assert.Contains("Ignition finished successfully", log, StringComparison.Ordinal);
        var root = Path.Combine(machine, "root");
        Assert.True(File.Exists(Path.Combine(root, AgentLayer.BinaryPath.TrimStart('/'))), log);
        var ca = Path.Combine(root, AgentLayer.CaCertificatePath.TrimStart('/'));
        Assert.Equal(chain, await File.ReadAllTextAsync(ca, TestContext.Current.CancellationToken));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(ca));
        var settings = await File.ReadAllLinesAsync(Path.Combine(root, AgentLayer.EnvironmentPath.TrimStart('/')),
            TestContext.Current.CancellationToken);
        Assert.Contains("Agent__CaCertificateFile=" + AgentLayer.CaCertificatePath, settings);
    }
}
