namespace Fleet.Shared.Messages;

/// <summary>
/// Agent → portal on <see cref="Topics.Health"/> every <see cref="DeviceSettings.HealthIntervalSeconds"/>:
/// what the device knows about its own health. A value the device cannot read is absent (null), never zero.
/// The agent samples on its schedule whether or not it is connected, keeps each report in its
/// store-and-forward queue until the broker acknowledges it, and sends the queue oldest first; a re-sent
/// report is the same bytes (same <paramref name="Sequence"/> and <paramref name="SentAt"/>).
/// </summary>
/// <param name="Sequence">
/// Increments by one per report made, across agent restarts (kept with the queue in the agent's state folder);
/// a gap means reports the queue dropped (see <paramref name="DroppedReports"/>), a reset means the agent lost its
/// state folder.
/// </param>
/// <param name="SentAt">When the agent sampled it (agent clock); a queued report arrives later than this.</param>
/// <param name="UptimeSeconds">Seconds since boot (<c>/proc/uptime</c>).</param>
/// <param name="CpuPercent">Busy share of all CPUs since the previous report, 0-100 (<c>/proc/stat</c>).</param>
/// <param name="Load">Load averages (<c>/proc/loadavg</c>).</param>
/// <param name="Memory">Memory and swap (<c>/proc/meminfo</c>).</param>
/// <param name="Filesystems">Usage of each mounted, real filesystem.</param>
/// <param name="Temperatures">Thermal zones (<c>/sys/class/thermal</c>), where present.</param>
/// <param name="Interfaces">Network interfaces with addresses and byte counters.</param>
/// <param name="Os">OS release and kernel.</param>
/// <param name="Deployment">The booted rpm-ostree deployment, where rpm-ostree is present.</param>
/// <param name="FailedUnits">Names of failed systemd units, where systemd is present.</param>
/// <param name="Containers">Podman container counts, where podman is present.</param>
/// <param name="TimeSync">Clock synchronisation state (<c>timedatectl</c>), where present.</param>
/// <param name="CollectorErrors">Collectors that failed this time, as <c>name: reason</c>; the rest of the report is still valid.</param>
/// <param name="DroppedReports">
/// Reports the agent's queue dropped unsent (over its size, count or age limit, oldest first) since the queue was
/// created, counted when this report was made; absent from agents without a queue.
/// </param>
public sealed record HealthReport(
    long Sequence,
    DateTimeOffset SentAt,
    double? UptimeSeconds = null,
    double? CpuPercent = null,
    LoadAverages? Load = null,
    MemoryUsage? Memory = null,
    IReadOnlyList<FilesystemUsage>? Filesystems = null,
    IReadOnlyList<TemperatureReading>? Temperatures = null,
    IReadOnlyList<InterfaceCounters>? Interfaces = null,
    OsInfo? Os = null,
    BootedDeployment? Deployment = null,
    IReadOnlyList<string>? FailedUnits = null,
    ContainerSummary? Containers = null,
    TimeSyncState? TimeSync = null,
    IReadOnlyList<string>? CollectorErrors = null,
    long? DroppedReports = null);

/// <summary>Load averages.</summary>
/// <param name="One">1-minute load average.</param>
/// <param name="Five">5-minute load average.</param>
/// <param name="Fifteen">15-minute load average.</param>
public sealed record LoadAverages(double One, double Five, double Fifteen);

/// <summary>Memory and swap in bytes.</summary>
/// <param name="TotalBytes"><c>MemTotal</c>.</param>
/// <param name="AvailableBytes"><c>MemAvailable</c>.</param>
/// <param name="SwapTotalBytes"><c>SwapTotal</c> (0 when there is no swap).</param>
/// <param name="SwapFreeBytes"><c>SwapFree</c>.</param>
public sealed record MemoryUsage(long TotalBytes, long AvailableBytes, long SwapTotalBytes, long SwapFreeBytes);

/// <summary>One mounted filesystem.</summary>
/// <param name="MountPoint">Where it is mounted.</param>
/// <param name="Device">The source device.</param>
/// <param name="Type">The filesystem type.</param>
/// <param name="TotalBytes">Size.</param>
/// <param name="UsedBytes">Used.</param>
/// <param name="AvailableBytes">Available to unprivileged users.</param>
public sealed record FilesystemUsage(string MountPoint, string Device, string Type, long TotalBytes, long UsedBytes, long AvailableBytes);

/// <summary>One temperature sensor.</summary>
/// <param name="Sensor">Zone name, e.g. <c>thermal_zone0</c>.</param>
/// <param name="Type">What it measures, e.g. <c>x86_pkg_temp</c>.</param>
/// <param name="Celsius">Degrees Celsius.</param>
public sealed record TemperatureReading(string Sensor, string Type, double Celsius);

/// <summary>One network interface.</summary>
/// <param name="Name">Kernel name.</param>
/// <param name="Mac">MAC address, where it has one.</param>
/// <param name="IsUp">Operational state is up.</param>
/// <param name="Addresses">IPv4/IPv6 addresses in CIDR notation.</param>
/// <param name="RxBytes">Bytes received since boot.</param>
/// <param name="TxBytes">Bytes sent since boot.</param>
public sealed record InterfaceCounters(string Name, string? Mac, bool IsUp, IReadOnlyList<string> Addresses, long RxBytes, long TxBytes);

/// <summary>OS release and kernel.</summary>
/// <param name="PrettyName"><c>PRETTY_NAME</c> from os-release.</param>
/// <param name="VersionId"><c>VERSION_ID</c> from os-release.</param>
/// <param name="Kernel">Kernel release (<c>uname -r</c>).</param>
public sealed record OsInfo(string? PrettyName, string? VersionId, string? Kernel);

/// <summary>The booted rpm-ostree deployment.</summary>
/// <param name="Version">OS version.</param>
/// <param name="Checksum">OSTree commit.</param>
/// <param name="Origin">Origin refspec or container image reference.</param>
public sealed record BootedDeployment(string? Version, string Checksum, string? Origin);

/// <summary>Podman container counts.</summary>
/// <param name="Running">Running containers.</param>
/// <param name="Exited">Exited containers.</param>
/// <param name="Total">All containers.</param>
public sealed record ContainerSummary(int Running, int Exited, int Total);

/// <summary>Clock synchronisation.</summary>
/// <param name="Synchronized">The system clock is synchronised (NTP).</param>
/// <param name="Service">The NTP service is active.</param>
public sealed record TimeSyncState(bool Synchronized, bool? Service);
