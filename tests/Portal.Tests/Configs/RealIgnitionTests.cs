using System.Diagnostics;
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
    private const string IgnitionBinary = "/usr/lib/dracut/modules.d/30ignition/ignition";

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
            var run = Path.Combine(work, "run");
            var stub = Path.Combine(work, "stub");
            Directory.CreateDirectory(Path.Combine(root, "etc", "selinux"));
            Directory.CreateDirectory(run);
            Directory.CreateDirectory(stub);
            await File.WriteAllTextAsync(Path.Combine(root, "etc", "selinux", "config"), "SELINUX=disabled\nSELINUXTYPE=targeted\n");
            var setfiles = Path.Combine(stub, "setfiles");
            await File.WriteAllTextAsync(setfiles, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
            File.SetUnixFileMode(setfiles, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var baseConfig = Path.Combine(work, "base.ign");
            await File.WriteAllTextAsync(baseConfig, "{\"ignition\":{\"version\":\"3.3.0\",\"config\":{\"replace\":{\"source\":\"" + url + "\"}}}}");

            var fetch = await RunAsync(work, baseConfig, stub, "-platform", "file", "-stage", "fetch", "-log-to-stdout",
                "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"), "-neednet", Path.Combine(run, "neednet"));
            Assert.True(fetch.ExitCode == 0, fetch.Output);
            var files = await RunAsync(work, baseConfig, stub, "-platform", "file", "-stage", "files", "-root", root, "-log-to-stdout",
                "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"));
            Assert.True(files.ExitCode == 0, files.Output);

            Assert.Contains("Ignition finished successfully", files.Output, StringComparison.Ordinal);
            Assert.Equal("managed by fleet\n", await File.ReadAllTextAsync(Path.Combine(root, "etc", "fleet-motd")));
            Assert.Equal("token=e2e-secret\n", await File.ReadAllTextAsync(Path.Combine(root, "etc", "fleet-secret")));
            Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", "fleet-hello.service")), files.Output);
            Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", "fleet-device.service")), files.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string work, string baseConfig, string stub, params string[] args)
    {
        var start = new ProcessStartInfo(IgnitionBinary, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work };
        start.Environment["IGNITION_CONFIG_FILE"] = baseConfig;
        start.Environment["PATH"] = stub + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
