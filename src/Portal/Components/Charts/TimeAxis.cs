using System.Globalization;

namespace Fleet.Portal.Components.Charts;

/// <summary>One value of a series at an instant.</summary>
public sealed record TimePoint(DateTimeOffset At, double Value);

/// <summary>A named series of a <see cref="TimeChart"/>, in the unit the chart names.</summary>
public sealed record TimeSeries(string Name, IReadOnlyList<TimePoint> Points);

/// <summary>A chart's time window: what it covers, a tick every <see cref="Step"/> of the viewer's clock, the tick
/// label format, and the longest gap between two points that is still drawn as one line.</summary>
public sealed record TimeWindow(TimeSpan Span, TimeSpan Step, string Format, TimeSpan MaxGap)
{
    public static TimeWindow Hour { get; } = new(TimeSpan.FromHours(1), TimeSpan.FromMinutes(10), "HH:mm",
        TimeSpan.FromMinutes(5));

    public static TimeWindow Day { get; } = new(TimeSpan.FromHours(24), TimeSpan.FromHours(3), "HH:mm",
        TimeSpan.FromMinutes(20));

    public static TimeWindow Week { get; } = new(TimeSpan.FromDays(7), TimeSpan.FromDays(1), "ddd d",
        TimeSpan.FromHours(3));

    /// <summary>"1h", "24h", "7d" as the range toggles name them; anything else is the hour.</summary>
    public static TimeWindow Of(string range) => range switch
    {
        "24h" => Day,
        "7d" => Week,
        _ => Hour,
    };
}

/// <summary>
/// Ticks of a time axis on the viewer's wall clock: every <c>step</c> of local time (10:00, 10:10 …;
/// 00:00, 03:00 …; midnights), only inside the window, so the last tick is never after its end (now).
/// </summary>
public static class TimeAxis
{
    private const int MaxTicks = 64;

    public static IReadOnlyList<DateTimeOffset> Ticks(
        DateTimeOffset from, DateTimeOffset to, TimeSpan step, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (step <= TimeSpan.Zero || to <= from)
        {
            return [];
        }

        var local = TimeZoneInfo.ConvertTime(from, zone).DateTime;
        var sinceMidnight = local - local.Date;
        var wall = step >= TimeSpan.FromDays(1)
            ? local.Date
            : local.Date + (step * Math.Floor(sinceMidnight / step));
        var ticks = new List<DateTimeOffset>();
        for (var i = 0; i < MaxTicks * 4 && ticks.Count < MaxTicks; i++, wall += step)
        {
            if (zone.IsInvalidTime(wall))
            {
                continue;   // skipped by a daylight-saving change
            }

            var at = new DateTimeOffset(wall, zone.GetUtcOffset(wall));
            if (at > to)
            {
                break;
            }

            if (at >= from)
            {
                ticks.Add(at);
            }
        }

        return ticks;
    }

    /// <summary>An instant as the viewer's clock shows it.</summary>
    public static string Label(DateTimeOffset at, TimeZoneInfo zone, string format) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A round upper bound for values up to <paramref name="max"/>: 1, 2 or 5 times a power of ten, in
    /// steps of a quarter of it.</summary>
    public static (double Top, double Step) Scale(double max)
    {
        if (max <= 0 || double.IsNaN(max) || double.IsInfinity(max))
        {
            return (1, 0.25);
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        var top = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(t => t >= max);
        return (top, top / 4);
    }
}
