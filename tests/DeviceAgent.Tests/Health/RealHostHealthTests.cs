using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Updates;

namespace Fleet.DeviceAgent.Tests.Health;

/// <summary>The collectors against this machine's own /proc and /sys: shapes and sane ranges, not exact values.</summary>
public sealed class RealHostHealthTests
{
    private static readonly string[] PseudoTypes = ["proc", "sysfs", "tmpfs", "overlay", "cgroup2"];

    [Fact]
    public async Task CollectAsync_ThisMachine_SaneValues()
    {
        var files = new HostFiles("/");
        var runner = new ProcessRunner();
        var collectors = HealthHosting.Collectors(files, runner, new RpmOstreeCli(runner), TimeSpan.FromSeconds(30));

        var report = await HealthCollectorTests.Sampler(collectors).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        // Tools this machine lacks (rpm-ostree, podman) are absent; one that is there but cannot work here
        // (systemctl without systemd as PID 1, say) may fail; the /proc and /sys collectors must not.
        var fileCollectors = new[] { "uptime", "cpu", "load", "memory", "filesystems", "temperatures", "interfaces", "os" };
        Assert.DoesNotContain(report.CollectorErrors ?? [], e => fileCollectors.Any(c => e.StartsWith(c + ":", StringComparison.Ordinal)));
        Assert.InRange(report.UptimeSeconds!.Value, 1, 10 * 365 * 86_400);
        Assert.InRange(report.CpuPercent!.Value, 0, 100);
        Assert.InRange(report.Load!.One, 0, 10_000);
        Assert.InRange(report.Memory!.AvailableBytes, 1, report.Memory.TotalBytes);
        Assert.InRange(report.Memory.SwapFreeBytes, 0, report.Memory.SwapTotalBytes);
        Assert.NotEmpty(report.Filesystems!);
        Assert.All(report.Filesystems!, f =>
        {
            Assert.StartsWith("/", f.MountPoint, StringComparison.Ordinal);
            Assert.DoesNotContain(f.Type, PseudoTypes);
            Assert.InRange(f.UsedBytes, 0, f.TotalBytes);
            Assert.InRange(f.AvailableBytes, 0, f.TotalBytes);
        });
        Assert.DoesNotContain(report.Interfaces!, i => i.Name == "lo");
        Assert.All(report.Interfaces!, i => Assert.True(i.RxBytes >= 0 && i.TxBytes >= 0));
        Assert.False(string.IsNullOrEmpty(report.Os!.Kernel));
        Assert.All(report.Temperatures ?? [], t => Assert.InRange(t.Celsius, -40, 150));
    }
}
