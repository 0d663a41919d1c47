using Fleet.Portal.Features.Updates;

namespace Fleet.Portal.Tests.Updates;

public sealed class MaintenanceWindowTests
{
    // 2026-11-28 is a Saturday.
    private static DateTimeOffset At(int day, int hour, int minute) => new(2026, 11, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void IsOpen_WithinAndOutside()
    {
        var window = new MaintenanceWindow(WeekDays.Saturday, new TimeOnly(1, 0), 60);

        Assert.True(window.IsOpen(At(28, 1, 0)));
        Assert.True(window.IsOpen(At(28, 1, 59)));
        Assert.False(window.IsOpen(At(28, 2, 0)));
        Assert.False(window.IsOpen(At(28, 0, 59)));
        Assert.False(window.IsOpen(At(29, 1, 30)));   // Sunday
    }

    [Fact]
    public void IsOpen_AcrossMidnight_OpenIntoTheNextDay()
    {
        var window = new MaintenanceWindow(WeekDays.Saturday, new TimeOnly(23, 0), 120);

        Assert.True(window.IsOpen(At(29, 0, 30)));    // Sunday 00:30, opened Saturday 23:00
        Assert.False(window.IsOpen(At(29, 1, 0)));
        Assert.False(window.IsOpen(At(27, 23, 30)));  // Friday
    }

    [Fact]
    public void IsOpen_OtherTimeZoneOffset_ComparedInUtc()
    {
        var window = new MaintenanceWindow(WeekDays.Saturday, new TimeOnly(1, 0), 60);

        Assert.True(window.IsOpen(new DateTimeOffset(2026, 11, 28, 2, 30, 0, TimeSpan.FromHours(1))));
    }
}
