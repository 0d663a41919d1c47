using Fleet.Portal.Components.Charts;

namespace Fleet.Portal.Tests.Health;

/// <summary>Chart ticks on the viewer's clock: round local times, inside the window, never after now.</summary>
public sealed class TimeAxisTests
{
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Ticks_DayInKolkata_EveryThreeLocalHoursNoneAfterNow()
    {
        var now = new DateTimeOffset(2026, 12, 6, 20, 33, 17, TimeSpan.Zero);   // 02:03:17 on the 7th in Kolkata

        var ticks = TimeAxis.Ticks(now - TimeWindow.Day.Span, now, TimeWindow.Day.Step, Kolkata);

        Assert.Equal(8, ticks.Count);
        Assert.All(ticks, t => Assert.InRange(t, now.AddHours(-24), now));
        Assert.Equal(
            ["03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "00:00"],
            ticks.Select(t => TimeAxis.Label(t, Kolkata, "HH:mm")));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 18, 30, 0, TimeSpan.Zero), ticks[^1]);
    }

    [Fact]
    public void Ticks_WeekInKolkata_LocalMidnights()
    {
        var now = new DateTimeOffset(2026, 12, 6, 20, 33, 17, TimeSpan.Zero);

        var ticks = TimeAxis.Ticks(now - TimeWindow.Week.Span, now, TimeWindow.Week.Step, Kolkata);

        Assert.Equal(7, ticks.Count);
        Assert.All(ticks, t => Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(t, Kolkata).TimeOfDay));
        Assert.Equal("Mon 7", TimeAxis.Label(ticks[^1], Kolkata, TimeWindow.Week.Format));
    }

    [Fact]
    public void Ticks_DaylightSavingStarts_SkippedHourLeftOutOthersOnTheLocalClock()
    {
        // Berlin moves from 02:00 to 03:00 on 29 March 2026.
        var now = new DateTimeOffset(2026, 3, 29, 4, 10, 0, TimeSpan.Zero);   // 06:10 CEST

        var ticks = TimeAxis.Ticks(now - TimeSpan.FromHours(6), now, TimeSpan.FromHours(1), Berlin);

        Assert.Equal(
            ["00:00", "01:00", "03:00", "04:00", "05:00", "06:00"],
            ticks.Select(t => TimeAxis.Label(t, Berlin, "HH:mm")));
        Assert.Equal(TimeSpan.FromHours(1), ticks[2] - ticks[1]);   // 01:00 CET to 03:00 CEST is one hour
    }

    [Fact]
    public void Ticks_NowOnATick_LastTickIsNow()
    {
        var now = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        var ticks = TimeAxis.Ticks(now - TimeWindow.Hour.Span, now, TimeWindow.Hour.Step, TimeZoneInfo.Utc);

        Assert.Equal(now, ticks[^1]);
        Assert.Equal(7, ticks.Count);
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(23.4, 25)]
    [InlineData(0.3, 0.5)]
    [InlineData(0, 1)]
    [InlineData(1700, 2000)]
    public void Scale_Max_RoundTop(double max, double top) => Assert.Equal(top, TimeAxis.Scale(max).Top);

    [Fact]
    public void Resolve_UnknownIdWithOffset_FixedOffsetZone()
    {
        var zone = ViewerTime.Resolve(new BrowserZone("Mars/Olympus", 330));

        Assert.Equal(TimeSpan.FromMinutes(330), zone.BaseUtcOffset);
        Assert.Equal(Kolkata.Id, ViewerTime.Resolve(new BrowserZone("Asia/Kolkata", 330)).Id);
        Assert.Equal(TimeZoneInfo.Utc, ViewerTime.Resolve(null));
    }
}
