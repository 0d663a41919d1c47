namespace Fleet.Portal.Features.Updates;

/// <summary>Days of the week as flags, so a window can open on several.</summary>
[Flags]
public enum WeekDays
{
    None = 0,
    Sunday = 1 << DayOfWeek.Sunday,
    Monday = 1 << DayOfWeek.Monday,
    Tuesday = 1 << DayOfWeek.Tuesday,
    Wednesday = 1 << DayOfWeek.Wednesday,
    Thursday = 1 << DayOfWeek.Thursday,
    Friday = 1 << DayOfWeek.Friday,
    Saturday = 1 << DayOfWeek.Saturday,
    Weekend = Saturday | Sunday,
    Weekdays = Monday | Tuesday | Wednesday | Thursday | Friday,
    All = Weekend | Weekdays,
}

/// <summary>
/// A weekly window in UTC during which a group's devices may take a reboot slot: it opens at
/// <see cref="StartUtc"/> on each of <see cref="Days"/> and stays open <see cref="DurationMinutes"/>,
/// possibly past midnight (Saturday 23:00 for 120 minutes ends Sunday 01:00). Like Zincati's own
/// periodic strategy, but decided by the server, so it can change without touching devices.
/// </summary>
public sealed record MaintenanceWindow(WeekDays Days, TimeOnly StartUtc, int DurationMinutes)
{
    public const int MaxDurationMinutes = 7 * 24 * 60;

    public bool IsOpen(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        // A window that opened on an earlier day may still be open; look back as far as one can last.
        var daysBack = (DurationMinutes + 1439) / 1440;
        for (var back = 0; back <= daysBack; back++)
        {
            var day = utc.Date.AddDays(-back);
            if (!Days.HasFlag(Flag(day.DayOfWeek)))
            {
                continue;
            }

            var opens = day + StartUtc.ToTimeSpan();
            if (utc >= opens && utc < opens.AddMinutes(DurationMinutes))
            {
                return true;
            }
        }

        return false;
    }

    public static WeekDays Flag(DayOfWeek day) => (WeekDays)(1 << (int)day);

    public override string ToString()
    {
        var days = Days switch
        {
            WeekDays.All => "every day",
            WeekDays.Weekdays => "Mon–Fri",
            WeekDays.Weekend => "Sat, Sun",
            _ => string.Join(", ", Enum.GetValues<DayOfWeek>().Where(d => Days.HasFlag(Flag(d))).Select(d => d.ToString()[..3])),
        };
        return $"{days} {StartUtc:HH\\:mm} UTC for {DurationMinutes} min";
    }
}
