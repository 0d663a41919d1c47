using System.Text.Json.Serialization;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>What to start a run over: exactly one of explicit devices, a group, or one of the caller's saved
/// Devices-page filters (by name).</summary>
/// <param name="DeviceIds">Devices chosen one by one (the Devices page's selection).</param>
/// <param name="GroupId">Every approved device of this group.</param>
/// <param name="SavedFilter">Every approved device the caller's saved filter of this name matches.</param>
public sealed record CommandRunTarget(
    IReadOnlyList<Guid>? DeviceIds = null,
    int? GroupId = null,
    string? SavedFilter = null);

/// <summary>A run to start: the order, the devices, how many at a time and when to pause.</summary>
/// <param name="Order">What every device is asked to do.</param>
/// <param name="Target">Which devices.</param>
/// <param name="Concurrency">Most commands released and not finished at one time (1–10,000).</param>
/// <param name="FailureCount">Pause when this many commands failed (1 or more); or give
/// <paramref name="FailurePercent"/>; neither: 10 % of the devices.</param>
/// <param name="FailurePercent">Pause when this share of the devices failed (1–100).</param>
public sealed record CommandRunInput(
    CommandOrder Order,
    CommandRunTarget Target,
    int Concurrency = CommandRunInput.DefaultConcurrency,
    int? FailureCount = null,
    int? FailurePercent = null)
{
    public const int DefaultConcurrency = 50;

    public const int DefaultFailurePercent = 10;
}

/// <summary>How many of a run's commands are in each state.</summary>
public sealed record CommandRunCounts(
    int Held = 0,
    int Queued = 0,
    int Delivered = 0,
    int Running = 0,
    int Succeeded = 0,
    int Failed = 0,
    int Expired = 0,
    int Cancelled = 0)
{
    /// <summary>Released and not finished: what the concurrency limit bounds.</summary>
    [JsonIgnore]
    public int InFlight => Queued + Delivered + Running;

    [JsonIgnore]
    public int Finished => Succeeded + Failed + Expired + Cancelled;

    [JsonIgnore]
    public int Total => Held + InFlight + Finished;

    /// <summary>The count of one state.</summary>
    public int Of(CommandState state) => state switch
    {
        CommandState.Held => Held,
        CommandState.Queued => Queued,
        CommandState.Delivered => Delivered,
        CommandState.Running => Running,
        CommandState.Succeeded => Succeeded,
        CommandState.Failed => Failed,
        CommandState.Expired => Expired,
        _ => Cancelled,
    };

    /// <summary>Counts from (state, count) pairs, as a GROUP BY returns them.</summary>
    public static CommandRunCounts From(IEnumerable<(CommandState State, int Count)> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var c = groups.ToDictionary(g => g.State, g => g.Count);
        int Get(CommandState s) => c.GetValueOrDefault(s);
        return new(Get(CommandState.Held), Get(CommandState.Queued), Get(CommandState.Delivered),
            Get(CommandState.Running), Get(CommandState.Succeeded), Get(CommandState.Failed),
            Get(CommandState.Expired), Get(CommandState.Cancelled));
    }
}

/// <summary>A run as its page, the runs list and <c>/api/v1/command-runs</c> show it.</summary>
/// <param name="Id">The run's id.</param>
/// <param name="Kind">The command kind.</param>
/// <param name="Order">The order every device got.</param>
/// <param name="StartedBy">Who started it.</param>
/// <param name="Selection">What it was started over, in words.</param>
/// <param name="Devices">How many devices.</param>
/// <param name="Concurrency">Most commands in flight at a time.</param>
/// <param name="FailureThreshold">The threshold as given (a count, or a percent).</param>
/// <param name="FailureThresholdIsPercent">Whether the threshold is a percent of the devices.</param>
/// <param name="FailureLimit">Failed commands since the start or last resume that pause it.</param>
/// <param name="FailuresSinceResume">Failed commands counted towards the limit now.</param>
/// <param name="State">Running, paused, cancelled or completed.</param>
/// <param name="PausedReason">Why it is paused.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it was cancelled or completed.</param>
/// <param name="Counts">Its commands by state.</param>
public sealed record CommandRunView(
    Guid Id,
    string Kind,
    CommandOrder Order,
    string StartedBy,
    string Selection,
    int Devices,
    int Concurrency,
    int FailureThreshold,
    bool FailureThresholdIsPercent,
    int FailureLimit,
    int FailuresSinceResume,
    CommandRunState State,
    string? PausedReason,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    CommandRunCounts Counts)
{
    /// <summary>The threshold in words: "5 failures" or "10 % (100 failures)".</summary>
    public string ThresholdText => FailureThresholdIsPercent
        ? $"{FailureThreshold} % ({FailureLimit} failures)"
        : $"{FailureLimit} failures";
}

/// <summary>One device's command in a run: a row of its results table and CSV export.</summary>
public sealed record CommandRunResult(
    Guid CommandId,
    Guid DeviceId,
    string Hostname,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandState>))] CommandState State,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Detail,
    string? Output,
    string? Error);
