using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Health;

/// <summary>One value the validator dropped or clamped: which field, why (the metric tag) and what it said.</summary>
public sealed record HealthAdjustment(string Field, string Reason, string Detail);

/// <summary>
/// How far from its arrival a report's own <c>sentAt</c> is believed: up to <paramref name="Backfill"/> before it (a
/// report the agent queued while the portal was unreachable) and <paramref name="Skew"/> after it (a fast clock).
/// </summary>
public sealed record ChartWindow(TimeSpan Backfill, TimeSpan Skew);

/// <summary>A report fit to store: impossible values removed, out-of-range ones clamped, and the time to chart it at.</summary>
public sealed record ValidHealthReport(HealthReport Report, DateTimeOffset At, IReadOnlyList<HealthAdjustment> Adjustments);

/// <summary>
/// Decides what of a health report can be believed. A value that cannot be true (NaN, negative,
/// used above total) is dropped as if the device had not reported it; a percentage slightly over
/// 100 (rounding on the device) is clamped; the rest of the report is kept.
/// </summary>
public static class HealthReportValidator
{
    public const int MaxFilesystems = 64;
    public const int MaxTemperatures = 64;
    public const int MaxInterfaces = 64;
    public const int MaxFailedUnits = 100;
    public const int MaxNameLength = 256;
    public const double MinCelsius = -60;
    public const double MaxCelsius = 150;

    /// <summary>Null with a reason when the report as a whole cannot be stored.</summary>
    public static ValidHealthReport? Validate(
        HealthReport report, DateTimeOffset receivedAt, ChartWindow window, out string? rejectReason)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(window);
        rejectReason = null;
        if (report.Sequence < 0)
        {
            rejectReason = "sequence_negative";
            return null;
        }

        var adjustments = new List<HealthAdjustment>();
        var at = report.SentAt;
        if (report.SentAt > receivedAt + window.Skew)
        {
            adjustments.Add(new("sentAt", "clock_skew",
                $"{report.SentAt:O} is more than {window.Skew.TotalSeconds:0} s after arrival {receivedAt:O}; "
                + "charted at arrival"));
            at = receivedAt;
        }
        else if (report.SentAt < receivedAt - window.Backfill)
        {
            adjustments.Add(new("sentAt", "clock_skew",
                $"{report.SentAt:O} is more than {window.Backfill.TotalHours:0} h before arrival {receivedAt:O}; "
                + "charted at arrival"));
            at = receivedAt;
        }

        var clean = report with
        {
            CpuPercent = Percent(report.CpuPercent, "cpuPercent", adjustments),
            UptimeSeconds = Range(report.UptimeSeconds, 0, 3.2e9, "uptimeSeconds", adjustments),
            Load = report.Load is { } l && !(IsLoad(l.One) && IsLoad(l.Five) && IsLoad(l.Fifteen)) ? Drop<LoadAverages>("load", "out_of_range", $"{l}", adjustments) : report.Load,
            Memory = report.Memory is { } m && !MemoryOk(m) ? Drop<MemoryUsage>("memory", "inconsistent", $"{m}", adjustments) : report.Memory,
            Filesystems = Filter(report.Filesystems, MaxFilesystems, "filesystems", f => f.TotalBytes > 0 && f.UsedBytes >= 0 && f.AvailableBytes >= 0 && f.UsedBytes <= f.TotalBytes && f.MountPoint.Length <= MaxNameLength, adjustments),
            Temperatures = Filter(report.Temperatures, MaxTemperatures, "temperatures", t => double.IsFinite(t.Celsius) && t.Celsius is >= MinCelsius and <= MaxCelsius, adjustments),
            Interfaces = Filter(report.Interfaces, MaxInterfaces, "interfaces", i => i.RxBytes >= 0 && i.TxBytes >= 0 && i.Name.Length <= MaxNameLength, adjustments),
            FailedUnits = Filter(report.FailedUnits, MaxFailedUnits, "failedUnits", u => u.Length is > 0 and <= MaxNameLength, adjustments),
            Containers = report.Containers is { } c && (c.Running < 0 || c.Exited < 0 || c.Total < 0) ? Drop<ContainerSummary>("containers", "negative", $"{c}", adjustments) : report.Containers,
            DroppedReports = report.DroppedReports is < 0
                ? DropCount("droppedReports", report.DroppedReports.Value, adjustments)
                : report.DroppedReports,
        };
        return new ValidHealthReport(clean, at, adjustments);
    }

    /// <summary>Used share of memory, 0-100; null without memory figures.</summary>
    public static double? MemoryPercent(MemoryUsage? m) =>
        m is null || m.TotalBytes <= 0 ? null : 100.0 * (m.TotalBytes - m.AvailableBytes) / m.TotalBytes;

    public static double? SwapPercent(MemoryUsage? m) =>
        m is null || m.SwapTotalBytes <= 0 ? null : 100.0 * (m.SwapTotalBytes - m.SwapFreeBytes) / m.SwapTotalBytes;

    /// <summary>The fullest filesystem as (mount, percent used).</summary>
    public static (string Mount, double Percent)? Fullest(IReadOnlyList<FilesystemUsage>? filesystems) =>
        filesystems is null || filesystems.Count == 0
            ? null
            : filesystems.Select(f => (f.MountPoint, 100.0 * f.UsedBytes / f.TotalBytes)).MaxBy(x => x.Item2);

    public static double? Hottest(IReadOnlyList<TemperatureReading>? temperatures) =>
        temperatures is null || temperatures.Count == 0 ? null : temperatures.Max(t => t.Celsius);

    private static double? Percent(double? value, string field, List<HealthAdjustment> adjustments)
    {
        if (value is not { } v)
        {
            return null;
        }

        if (!double.IsFinite(v) || v < 0 || v > 110)
        {
            adjustments.Add(new(field, "out_of_range", $"{v} is not a percentage; dropped"));
            return null;
        }

        if (v > 100)
        {
            adjustments.Add(new(field, "clamped", $"{v} clamped to 100"));
            return 100;
        }

        return v;
    }

    private static double? Range(double? value, double min, double max, string field, List<HealthAdjustment> adjustments)
    {
        if (value is { } v && (!double.IsFinite(v) || v < min || v > max))
        {
            adjustments.Add(new(field, "out_of_range", $"{v} outside {min}..{max}; dropped"));
            return null;
        }

        return value;
    }

    private static T? Drop<T>(string field, string reason, string detail, List<HealthAdjustment> adjustments)
        where T : class
    {
        adjustments.Add(new(field, reason, detail + "; dropped"));
        return null;
    }

    private static long? DropCount(string field, long value, List<HealthAdjustment> adjustments)
    {
        adjustments.Add(new(field, "negative", $"{value} is not a count; dropped"));
        return null;
    }

    private static List<T>? Filter<T>(IReadOnlyList<T>? items, int max, string field, Func<T, bool> valid, List<HealthAdjustment> adjustments)
    {
        if (items is null)
        {
            return null;
        }

        var kept = new List<T>(Math.Min(items.Count, max));
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null || !valid(items[i]))
            {
                adjustments.Add(new($"{field}[{i}]", "out_of_range", $"{items[i]}; dropped"));
            }
            else if (kept.Count == max)
            {
                adjustments.Add(new($"{field}[{i}]", "too_many", $"more than {max} entries; the rest dropped"));
                break;
            }
            else
            {
                kept.Add(items[i]);
            }
        }

        return kept;
    }

    private static bool IsLoad(double value) => double.IsFinite(value) && value is >= 0 and < 1e6;

    private static bool MemoryOk(MemoryUsage m) =>
        m.TotalBytes > 0 && m.AvailableBytes >= 0 && m.AvailableBytes <= m.TotalBytes
        && m.SwapTotalBytes >= 0 && m.SwapFreeBytes >= 0 && m.SwapFreeBytes <= m.SwapTotalBytes;
}
