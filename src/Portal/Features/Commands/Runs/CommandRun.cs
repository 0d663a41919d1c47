using System.Text.Json.Serialization;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>Where a bulk run stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CommandRunState>))]
public enum CommandRunState
{
    /// <summary>Releasing its held commands, at most its concurrency at a time.</summary>
    Running,

    /// <summary>Releasing nothing: a person paused it, or its failures reached the threshold. Commands already
    /// released finish.</summary>
    Paused,

    /// <summary>A person cancelled it: its waiting commands were cancelled.</summary>
    Cancelled,

    /// <summary>Every command reached a final state.</summary>
    Completed,
}

/// <summary>
/// One order over many devices: its commands are created Held, and the <see cref="CommandRunner"/> releases them
/// at most <see cref="Concurrency"/> in flight at a time, pausing the run when <see cref="FailureLimit"/> commands
/// failed since it started or last resumed, as an OS rollout halts. Everything it needs lives in the database, so a
/// restarted portal carries on.
/// </summary>
public sealed class CommandRun
{
    public const int MaxSelectionLength = 512;

    public const int MaxConcurrency = 10_000;

    public Guid Id { get; set; }

    /// <summary>One of <see cref="Shared.Messages.CommandKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>The <see cref="CommandOrder"/> as JSON, as the run's page shows it.</summary>
    public required string OrderJson { get; set; }

    /// <summary>Why (from the order).</summary>
    public string? Reason { get; set; }

    public required string StartedBy { get; set; }

    /// <summary>What it was started over, in words: "12 selected devices", "group lab", "saved filter web".</summary>
    public required string Selection { get; set; }

    /// <summary>How many devices (and commands) it has.</summary>
    public int Devices { get; set; }

    /// <summary>Most of its commands released and not finished at one time.</summary>
    public int Concurrency { get; set; }

    /// <summary>The threshold as given: a count of failed commands, or a percent of <see cref="Devices"/>.</summary>
    public int FailureThreshold { get; set; }

    public bool FailureThresholdIsPercent { get; set; }

    /// <summary>Failed commands (since the start or the last resume) that pause it: the threshold as a count.
    /// </summary>
    public int FailureLimit { get; set; }

    /// <summary>Failed commands counted before the last resume: a resumed run counts afresh.</summary>
    public int FailuresForgiven { get; set; }

    public CommandRunState State { get; set; }

    /// <summary>Why it is paused: who paused it, or the failures that did.</summary>
    public string? PausedReason { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When it was cancelled or completed.</summary>
    public DateTimeOffset? FinishedAt { get; set; }
}
