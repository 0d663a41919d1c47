using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.DeviceAgent.Tests.Updates;

public sealed class GreenbootReaderTests
{
    [Theory]
    [InlineData("run/motd.d/boot-status", "Boot Status is GREEN - Health Check SUCCESS\n", GreenbootStatus.Green, false)]
    [InlineData("run/motd.d/boot-status", "Boot Status is RED - Health Check FAILURE!\nScript '01_check.sh' FAILURE (exit code '1')\n", GreenbootStatus.Red, false)]
    [InlineData("run/motd.d/boot-status", "Boot Status is GREEN - Health Check SUCCESS\nFALLBACK BOOT DETECTED! Default rpm-ostree deployment has been rolled back.\n", GreenbootStatus.Green, true)]
    [InlineData("etc/motd.d/boot-status", "Greenboot healthcheck passed - status is GREEN.", GreenbootStatus.Green, false)]
    [InlineData("etc/motd.d/boot-status", "Greenboot healthcheck failed - status is RED.", GreenbootStatus.Red, false)]
    [InlineData("etc/motd.d/boot-status", "Greenboot healthcheck is in progress.", GreenbootStatus.Unknown, false)]
    public async Task ReadAsync_StatusFile_VerdictAndFallback(string file, string content, GreenbootStatus expected, bool fallback)
    {
        using var os = new FakeOs();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(os.Root, file))!);
        await File.WriteAllTextAsync(Path.Combine(os.Root, file), content, TestContext.Current.CancellationToken);

        var reading = await Reader(os).ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new GreenbootReading(expected, fallback), reading);
    }

    [Fact]
    public async Task ReadAsync_NoGreenboot_UnknownWithoutAskingSystemd()
    {
        using var os = new FakeOs();

        Assert.Equal(GreenbootStatus.Unknown, (await Reader(os).ReadAsync(TestContext.Current.CancellationToken)).Status);
        Assert.Empty(os.Calls);
    }

    [Fact]
    public async Task ReadAsync_InstalledNoFiles_HealthcheckUnitStateDecides()
    {
        using var os = new FakeOs();
        os.InstallGreenboot();
        File.AppendAllText(Path.Combine(os.Directory, "state"), "unit_state=\"failed\"\n");

        Assert.Equal(GreenbootStatus.Red, (await Reader(os).ReadAsync(TestContext.Current.CancellationToken)).Status);
        Assert.Equal(["systemctl is-failed greenboot-healthcheck.service"], os.Calls);
    }

    private static GreenbootReader Reader(FakeOs os)
    {
        var host = new LinuxUpdateHost(Microsoft.Extensions.Options.Options.Create(new AgentOptions { HostRoot = os.Root }));
        return new GreenbootReader(host, new SystemctlCli(os.Runner), NullLogger<GreenbootReader>.Instance);
    }
}
