using System.Text.Json.Serialization;

namespace Fleet.Portal.Features.Power;

/// <summary>What drives a group's power plan.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PowerPlanMode>))]
public enum PowerPlanMode
{
    /// <summary>The group's CPU load: power off one device when it stays below the low threshold for the hold time,
    /// wake one when it stays above the high threshold as long.</summary>
    Load,

    /// <summary>A schedule: cron expressions, each with how many devices should be on from then.</summary>
    Schedule,
}

/// <summary>
/// A group's power plan: keep at least <see cref="MinOn"/> devices on, and follow the load or a schedule. The
/// evaluator keeps its own state here (<see cref="Target"/>, the hold timers, the last action) so a portal restart
/// continues where it stopped.
/// </summary>
public sealed class PowerPlan
{
    public const int MaxScheduleLength = 2_000;
    public const int MaxTimeZoneLength = 64;
    public const int MaxDecisionLength = 512;

    public int GroupId { get; set; }

    public bool Enabled { get; set; } = true;

    public PowerPlanMode Mode { get; set; }

    /// <summary>Devices kept on whatever the load or the schedule says (all of them when the group has fewer).
    /// </summary>
    public int MinOn { get; set; }

    /// <summary>Average CPU % of the group's online devices below which one device is powered off; null: never.
    /// </summary>
    public double? LowCpuPercent { get; set; }

    /// <summary>Average CPU % above which one more device is woken; null: never.</summary>
    public double? HighCpuPercent { get; set; }

    /// <summary>How long the load must stay below or above its threshold before the plan acts.</summary>
    public int HoldMinutes { get; set; } = 15;

    /// <summary>One entry a line: a 5-field cron expression, <c>=</c>, how many devices are on from then
    /// (<c>0 8 * * 1-5 = 10</c>).</summary>
    public string? Schedule { get; set; }

    /// <summary>The time zone the schedule's cron expressions are read in (IANA id).</summary>
    public string TimeZone { get; set; } = "UTC";

    public DateTimeOffset ChangedAt { get; set; }

    public required string ChangedBy { get; set; }

    /// <summary>How many devices the plan wants on now (the evaluator's); null until its first evaluation.</summary>
    public int? Target { get; set; }

    /// <summary>Since when the load has stayed below <see cref="LowCpuPercent"/>; null when it is not below.</summary>
    public DateTimeOffset? LowSince { get; set; }

    /// <summary>Since when the load has stayed above <see cref="HighCpuPercent"/>.</summary>
    public DateTimeOffset? HighSince { get; set; }

    /// <summary>When the plan last powered devices off or woke them.</summary>
    public DateTimeOffset? LastActionAt { get; set; }

    /// <summary>What the last evaluation decided, and why, for the group's power page.</summary>
    public string? LastDecision { get; set; }
}

/// <summary>One evaluation of a group's plan: how many devices it wanted on, and how many were.</summary>
public sealed class PowerSample
{
    public long Id { get; set; }

    public int GroupId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Approved devices in the group.</summary>
    public int Devices { get; set; }

    /// <summary>Devices the plan wanted on.</summary>
    public int PlannedOn { get; set; }

    /// <summary>Devices that were online.</summary>
    public int ActualOn { get; set; }
}
