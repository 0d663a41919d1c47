using System.Globalization;
using Cronos;

namespace Fleet.Portal.Features.Power;

/// <summary>A group as a plan sees it: its approved devices, how many are online, their average CPU use.</summary>
/// <param name="Devices">Approved devices in the group.</param>
/// <param name="On">Of those, online.</param>
/// <param name="LoadPercent">Average CPU % of the online ones that reported it; null when none did.</param>
public sealed record GroupPower(int Devices, int On, double? LoadPercent);

/// <summary>What one evaluation decided for a group.</summary>
/// <param name="Target">Devices the plan wants on.</param>
/// <param name="PowerOff">Devices to power off now.</param>
/// <param name="Wake">Devices to wake now.</param>
/// <param name="LowSince">The low-load timer after this evaluation.</param>
/// <param name="HighSince">The high-load timer after this evaluation.</param>
/// <param name="Why">The reason, for people.</param>
public sealed record PowerDecision(
    int Target, int PowerOff, int Wake, DateTimeOffset? LowSince, DateTimeOffset? HighSince, string Why);

/// <summary>One line of a schedule: from each occurrence of <paramref name="Cron"/>, <paramref name="On"/> devices
/// are on.</summary>
public sealed record PowerScheduleEntry(CronExpression Cron, string Text, int On);

/// <summary>
/// The decisions of a power plan as pure functions of the plan, the group and the time, so thresholds, hold times,
/// the minimum and schedules are tested without a portal. The load moves the target one device at a time, and only
/// after the load has stayed past its threshold for the hold time; the target never goes below the minimum; actions
/// wait until the previous ones have settled.
/// </summary>
public static class PowerPlanner
{
    public static PowerDecision Decide(
        PowerPlan plan, GroupPower group, DateTimeOffset now, TimeSpan settle, int? scheduled)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(group);
        var minOn = Math.Min(plan.MinOn, group.Devices);
        var target = plan.Target ?? group.On;
        DateTimeOffset? low = null, high = null;
        string why;
        if (plan.Mode == PowerPlanMode.Schedule)
        {
            target = scheduled ?? target;
            why = scheduled is { } s ? Text($"the schedule wants {s} on") : "no schedule entry has started yet";
        }
        else
        {
            var load = group.LoadPercent;
            var hold = TimeSpan.FromMinutes(plan.HoldMinutes);
            low = load < plan.LowCpuPercent ? plan.LowSince ?? now : null;
            high = load > plan.HighCpuPercent ? plan.HighSince ?? now : null;
            if (high is { } h && now - h >= hold)
            {
                target = Math.Max(target, group.On) + 1;
                high = now;   // the next step needs another hold time of high load
                why = Text($"load {load:0.#} % above {plan.HighCpuPercent:0.#} % for {plan.HoldMinutes} min");
            }
            else if (low is { } l && now - l >= hold)
            {
                target = Math.Min(target, group.On) - 1;
                low = now;
                why = Text($"load {load:0.#} % below {plan.LowCpuPercent:0.#} % for {plan.HoldMinutes} min");
            }
            else
            {
                why = load is { } value ? Text($"load {value:0.#} %") : "no online device reports its load";
            }
        }

        if (target < minOn)
        {
            why += Text($"; at least {minOn} stay on");
        }

        target = Math.Clamp(target, minOn, group.Devices);
        var settling = plan.LastActionAt is { } last && now - last < settle;
        var off = settling ? 0 : Math.Max(0, group.On - target);
        var wake = settling ? 0 : Math.Max(0, target - group.On);
        if (settling && target != group.On)
        {
            why += "; waiting for the last action to settle";
        }

        return new PowerDecision(target, off, wake, low, high, why);
    }

    /// <summary>Parses a schedule, one entry a line (<c>cron = count</c>); blank lines and <c>#</c> comments are
    /// skipped. Errors name the line.</summary>
    public static IReadOnlyList<PowerScheduleEntry> ParseSchedule(string? text, List<OutcomeError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var entries = new List<PowerScheduleEntry>();
        var lines = (text ?? string.Empty).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var equals = line.LastIndexOf('=');
            var cronText = equals < 0 ? line : line[..equals].Trim();
            if (equals < 0 || !int.TryParse(line[(equals + 1)..].Trim(), NumberStyles.None,
                    CultureInfo.InvariantCulture, out var on) || on > 100_000)
            {
                errors.Add(new OutcomeError(
                    "Write a cron expression, '=', and the devices on (0 8 * * 1-5 = 10).", "schedule", i + 1));
                continue;
            }

            if (!CronExpression.TryParse(cronText, CronFormat.Standard, out var cron))
            {
                errors.Add(new OutcomeError($"'{cronText}' is not a 5-field cron expression.", "schedule", i + 1));
                continue;
            }

            entries.Add(new PowerScheduleEntry(cron, cronText, on));
        }

        return entries;
    }

    /// <summary>How many devices the schedule wants on at <paramref name="now"/>: the entry that started last (a later
    /// line wins a tie); null when none has started yet.</summary>
    public static int? ScheduledAt(IReadOnlyList<PowerScheduleEntry> entries, TimeZoneInfo zone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entries);
        PowerScheduleEntry? latest = null;
        DateTimeOffset? latestAt = null;
        foreach (var entry in entries)
        {
            if (entry.Cron.GetPreviousOccurrence(now, zone, inclusive: true) is { } at && !(at < latestAt))
            {
                (latest, latestAt) = (entry, at);
            }
        }

        return latest?.On;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
