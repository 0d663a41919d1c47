namespace Fleet.DeviceAgent.Tests.Health;

/// <summary>A made-up host tree: what /proc, /sys and /etc of a small Fedora CoreOS box hold.</summary>
internal static class HealthFixture
{
    public const string MountInfo = """
        22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
        70 1 0:35 / / ro,relatime shared:1 - overlay composefs ro,lowerdir=/sysroot
        71 70 252:4 / /sysroot ro,relatime shared:4 - xfs /dev/vda4 rw,attr2,inode64
        72 70 252:4 /ostree/deploy/fedora-coreos/deploy/abc.0/etc /etc rw,relatime shared:5 - xfs /dev/vda4 rw
        73 70 252:4 /ostree/deploy/fedora-coreos/var /var rw,relatime shared:6 - xfs /dev/vda4 rw
        74 70 252:3 / /boot ro,relatime shared:7 - ext4 /dev/vda3 rw
        75 70 0:40 / /run rw,nosuid,nodev shared:8 - tmpfs tmpfs rw,mode=755
        76 73 0:41 / /var/lib/containers/storage/overlay rw,relatime - overlay overlay rw
        77 70 8:17 / /mnt/my\040data rw,relatime shared:9 - ext4 /dev/sdb1 rw
        """;

    public static void Write(TempDirectory root)
    {
        root.Write("proc/uptime", "12345.67 23456.78\n");
        root.Write("proc/loadavg", "0.52 0.41 0.30 2/345 6789\n");
        root.Write("proc/stat", Stat(1000, 0, 500, 8000, 500));
        root.Write("proc/meminfo", "MemTotal:        4000000 kB\nMemFree:          500000 kB\nMemAvailable:    3000000 kB\nSwapTotal:       1000000 kB\nSwapFree:         900000 kB\n");
        root.Write("proc/self/mountinfo", MountInfo);
        root.Write("proc/sys/kernel/osrelease", "6.15.9-201.fc42.x86_64\n");
        root.Write("etc/os-release", "NAME=\"Fedora Linux\"\nVERSION_ID=42\nPRETTY_NAME=\"Fedora CoreOS 42.20250901.3.0\"\n");
        root.Write("sys/class/thermal/thermal_zone0/temp", "45000\n");
        root.Write("sys/class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
        root.Write("sys/class/thermal/thermal_zone1/temp", "87500\n");
        root.Write("sys/class/thermal/thermal_zone1/type", "acpitz\n");
        WriteNic(root, "lo", "00:00:00:00:00:00", "unknown", 10, 10);
        WriteNic(root, "enp1s0", "52:54:00:12:34:56", "up", 1_000_000, 200_000);
        WriteNic(root, "wlan0", "52:54:00:ab:cd:ef", "down", 0, 0);
    }

    /// <summary>The <c>cpu</c> line (and one per-CPU line) of /proc/stat.</summary>
    public static string Stat(long user, long nice, long system, long idle, long iowait) =>
        $"cpu  {user} {nice} {system} {idle} {iowait} 0 0 0 0 0\ncpu0 {user} {nice} {system} {idle} {iowait} 0 0 0 0 0\nintr 1 2 3\n";

    private static void WriteNic(TempDirectory root, string name, string mac, string state, long rx, long tx)
    {
        root.Write($"sys/class/net/{name}/address", mac + "\n");
        root.Write($"sys/class/net/{name}/operstate", state + "\n");
        root.Write($"sys/class/net/{name}/statistics/rx_bytes", rx + "\n");
        root.Write($"sys/class/net/{name}/statistics/tx_bytes", tx + "\n");
    }
}
