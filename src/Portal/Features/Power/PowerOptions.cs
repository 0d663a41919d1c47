using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Power;

/// <summary>Section <c>Fleet:Power</c>: Wake-on-LAN and the evaluation of groups' power plans.</summary>
public sealed class PowerOptions
{
    public const string Section = "Fleet:Power";

    /// <summary>UDP port the relay sends magic packets to (9, the discard port, is what NICs listen for; some
    /// networks use 7).</summary>
    [Range(1, 65_535)]
    public int WakeOnLanPort { get; set; } = 9;

    /// <summary>Seconds between two evaluations of every group's power plan.</summary>
    [Range(10, 86_400)]
    public int EvaluationSeconds { get; set; } = 60;

    /// <summary>Minutes a plan waits after powering devices off or waking them before it acts again, so devices
    /// that are shutting down or booting are not counted twice.</summary>
    [Range(1, 1_440)]
    public int SettleMinutes { get; set; } = 10;

    /// <summary>Days the planned and actual on/off counts of each group are kept for its chart.</summary>
    [Range(1, 3_650)]
    public int HistoryDays { get; set; } = 30;
}
