using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.DeviceAgent.Tests.Health;

public sealed class HealthCollectorTests : IDisposable
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Addresses =
        new Dictionary<string, IReadOnlyList<string>> { ["enp1s0"] = ["192.168.1.20/24", "fe80::5054:ff:fe12:3456/64"] };

    private readonly TempDirectory _root = new();
    private readonly HostFiles _files;

    public HealthCollectorTests()
    {
        HealthFixture.Write(_root);
        _files = new HostFiles(_root.Path);
    }

    [Fact]
    public async Task CollectAsync_FixtureTree_ReadsEverySource()
    {
        var report = await Sampler(FileCollectors()).CollectAsync(7, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        Assert.Equal(7, report.Sequence);
        Assert.Null(report.CollectorErrors);
        Assert.Equal(12345.67, report.UptimeSeconds);
        Assert.Equal(new LoadAverages(0.52, 0.41, 0.30), report.Load);
        Assert.Equal(new MemoryUsage(4_096_000_000, 3_072_000_000, 1_024_000_000, 921_600_000), report.Memory);
        Assert.Equal(new OsInfo("Fedora CoreOS 42.20250901.3.0", "42", "6.15.9-201.fc42.x86_64"), report.Os);
        Assert.Equal(
            [new("thermal_zone0", "x86_pkg_temp", 45.0), new("thermal_zone1", "acpitz", 87.5)],
            report.Temperatures!);

        // One entry per real filesystem: /dev/vda4 once, at /sysroot (its root), not at the /etc and /var bind mounts.
        Assert.Equal(
            [("/sysroot", "/dev/vda4", "xfs"), ("/boot", "/dev/vda3", "ext4"), ("/mnt/my data", "/dev/sdb1", "ext4")],
            report.Filesystems!.Select(f => (f.MountPoint, f.Device, f.Type)));
        var sysroot = report.Filesystems![0];
        Assert.Equal((1000L, 400L, 500L), (sysroot.TotalBytes, sysroot.UsedBytes, sysroot.AvailableBytes));

        var nics = report.Interfaces!;
        Assert.Equal(["enp1s0", "wlan0"], nics.Select(n => n.Name));
        Assert.Equal(("52:54:00:12:34:56", true, 1_000_000L, 200_000L), (nics[0].Mac, nics[0].IsUp, nics[0].RxBytes, nics[0].TxBytes));
        Assert.Equal(["192.168.1.20/24", "fe80::5054:ff:fe12:3456/64"], nics[0].Addresses);
        Assert.False(nics[1].IsUp);
        Assert.Empty(nics[1].Addresses);
    }

    [Fact]
    public async Task CpuCollector_TwoSamples_ReportsBusyShareOfTheDelta()
    {
        var cpu = new CpuCollector(_files, TimeSpan.Zero);
        var first = new HealthDraft();
        await cpu.CollectAsync(first, TestContext.Current.CancellationToken);

        // 300 busy (200 user + 100 system) of 1000 jiffies; iowait counts as idle.
        _root.Write("proc/stat", HealthFixture.Stat(1200, 0, 600, 8600, 600));
        var second = new HealthDraft();
        await cpu.CollectAsync(second, TestContext.Current.CancellationToken);

        Assert.Null(first.CpuPercent);
        Assert.Equal(30.0, second.CpuPercent);
    }

    [Fact]
    public async Task CollectAsync_EmptyTree_LeavesEverythingAbsentWithoutErrors()
    {
        using var empty = new TempDirectory();
        var files = new HostFiles(empty.Path);
        var report = await Sampler(FileCollectors(files)).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        Assert.Equal(new HealthReport(1, DateTimeOffset.UnixEpoch), report with { Interfaces = null });
    }

    [Fact]
    public async Task CollectAsync_GarbageAndHangingSources_ReportsTheRestWithErrors()
    {
        _root.Write("proc/meminfo", "Buffers: 12 kB\n");
        _root.Write("proc/loadavg", "zero point five\n");
        var collectors = FileCollectors().Append(new HangingCollector()).ToList();

        var report = await Sampler(collectors, TimeSpan.FromMilliseconds(300)).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        Assert.Null(report.Memory);
        Assert.Null(report.Load);
        Assert.Equal(12345.67, report.UptimeSeconds);
        Assert.NotNull(report.Filesystems);
        Assert.Collection(
            report.CollectorErrors!,
            e => Assert.StartsWith("hanging: no answer within", e, StringComparison.Ordinal),
            e => Assert.Equal("load: /proc/loadavg: 'zero' is not a number", e),
            e => Assert.Equal("memory: /proc/meminfo has no MemTotal", e));
    }

    [Fact]
    public async Task ToolCollectors_FakeTools_ReadDeploymentUnitsContainersAndTimeSync()
    {
        using var os = new FakeOs();
        File.WriteAllText(Path.Combine(os.Directory, "failed-units.json"), """[{"unit":"zincati.service","load":"loaded","active":"failed","sub":"failed","description":"Zincati"}]""");
        File.WriteAllText(Path.Combine(os.Directory, "podman.json"), """[{"Id":"a","State":"running"},{"Id":"b","State":"exited"},{"Id":"c","State":"created"}]""");
        File.WriteAllText(Path.Combine(os.Directory, "timedatectl.out"), "NTPSynchronized=no\nNTP=yes\n");

        var report = await Sampler(ToolCollectors(os.Runner)).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        Assert.Null(report.CollectorErrors);
        Assert.Equal("42.20250901.3.0", report.Deployment!.Version);
        Assert.Equal(FakeOs.ReleaseOf("42.20250901.3.0", 0).Checksum, report.Deployment.Checksum);
        Assert.Equal(["zincati.service"], report.FailedUnits!);
        Assert.Equal(new ContainerSummary(1, 1, 3), report.Containers);
        Assert.Equal(new TimeSyncState(false, true), report.TimeSync);
    }

    [Fact]
    public async Task FailedUnitsCollector_SystemdWithoutJson_ParsesThePlainListing()
    {
        using var os = new FakeOs();
        File.WriteAllText(Path.Combine(os.Directory, "systemctl-no-json"), string.Empty);
        File.WriteAllText(Path.Combine(os.Directory, "failed-units.txt"), "● a.service loaded failed failed A\nb.mount    loaded failed failed B\n");
        var draft = new HealthDraft();

        await new FailedUnitsCollector(os.Runner, TimeSpan.FromSeconds(30)).CollectAsync(draft, TestContext.Current.CancellationToken);

        Assert.Equal(["a.service", "b.mount"], draft.FailedUnits!);
    }

    [Fact]
    public async Task ToolCollectors_ToolsMissingOrFailing_AbsentOrError()
    {
        using var os = new FakeOs();
        File.WriteAllText(Path.Combine(os.Directory, "podman-error"), "cannot connect to podman socket");

        // An empty PATH for the children: no tool is installed.
        var missing = await Sampler(ToolCollectors(new ProcessRunner(new Dictionary<string, string> { ["PATH"] = os.Directory }))).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        var failing = await Sampler([new ContainerCollector(os.Runner, TimeSpan.FromSeconds(30))]).CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

        Assert.Equal(new HealthReport(1, DateTimeOffset.UnixEpoch), missing);
        Assert.Equal(["containers: podman ps: cannot connect to podman socket"], failing.CollectorErrors!);
    }

    public void Dispose() => _root.Dispose();

    internal static HealthSampler Sampler(IEnumerable<IHealthCollector> collectors, TimeSpan? timeout = null) =>
        new(collectors, timeout ?? TimeSpan.FromSeconds(30), NullLogger<HealthSampler>.Instance);

    private IEnumerable<IHealthCollector> FileCollectors(HostFiles? files = null)
    {
        files ??= _files;
        return
        [
            new UptimeCollector(files),
            new CpuCollector(files, TimeSpan.Zero),
            new LoadCollector(files),
            new MemoryCollector(files),
            new FilesystemCollector(files, _ => new SpaceInfo(1000, 600, 500)),
            new TemperatureCollector(files),
            new InterfaceCollector(files, () => Addresses),
            new OsCollector(files),
        ];
    }

    private static IEnumerable<IHealthCollector> ToolCollectors(ProcessRunner runner) =>
    [
        new DeploymentCollector(new RpmOstreeCli(runner)),
        new FailedUnitsCollector(runner, TimeSpan.FromSeconds(30)),
        new ContainerCollector(runner, TimeSpan.FromSeconds(30)),
        new TimeSyncCollector(runner, TimeSpan.FromSeconds(30)),
    ];

    private sealed class HangingCollector : IHealthCollector
    {
        public string Name => "hanging";

        // Ignores its token on purpose: the sampler must not wait for it.
        public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, CancellationToken.None);
    }
}
