using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// The part of a <see cref="HealthReport"/> one collector fills in. Each collector gets its own draft,
/// so a collector that overruns its time cannot write into a report already sent; the finished drafts
/// are merged.
/// </summary>
public sealed class HealthDraft
{
    public double? UptimeSeconds { get; set; }

    public double? CpuPercent { get; set; }

    public LoadAverages? Load { get; set; }

    public MemoryUsage? Memory { get; set; }

    public IReadOnlyList<FilesystemUsage>? Filesystems { get; set; }

    public IReadOnlyList<TemperatureReading>? Temperatures { get; set; }

    public IReadOnlyList<InterfaceCounters>? Interfaces { get; set; }

    public OsInfo? Os { get; set; }

    public BootedDeployment? Deployment { get; set; }

    public IReadOnlyList<string>? FailedUnits { get; set; }

    public ContainerSummary? Containers { get; set; }

    public TimeSyncState? TimeSync { get; set; }

    /// <summary>Copies every value this draft has into <paramref name="target"/>.</summary>
    public void MergeInto(HealthDraft target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.UptimeSeconds ??= UptimeSeconds;
        target.CpuPercent ??= CpuPercent;
        target.Load ??= Load;
        target.Memory ??= Memory;
        target.Filesystems ??= Filesystems;
        target.Temperatures ??= Temperatures;
        target.Interfaces ??= Interfaces;
        target.Os ??= Os;
        target.Deployment ??= Deployment;
        target.FailedUnits ??= FailedUnits;
        target.Containers ??= Containers;
        target.TimeSync ??= TimeSync;
    }

    public HealthReport ToReport(long sequence, DateTimeOffset sentAt, IReadOnlyList<string>? errors) => new(
        sequence,
        sentAt,
        UptimeSeconds,
        CpuPercent,
        Load,
        Memory,
        Filesystems,
        Temperatures,
        Interfaces,
        Os,
        Deployment,
        FailedUnits,
        Containers,
        TimeSync,
        errors is { Count: > 0 } ? errors : null);
}
