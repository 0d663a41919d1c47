using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>
/// Bulk runs: one order over many devices, released by the <see cref="CommandRunner"/>. Reads need no policy (every
/// role sees runs); starting, pausing, resuming and cancelling need <see cref="Policies.RunCommands"/>, and the
/// <see cref="CommandService"/> refuses the whole run when the caller may not run the kind on one of its devices.
/// Every change is audited with the run.
/// </summary>
public sealed class CommandRunService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    CommandService commands,
    CommandRunner runner,
    CommandRunNotifier notifier,
    DeviceService devices,
    SavedDeviceFilterService savedFilters,
    TimeProvider time,
    ILogger<CommandRunService> logger)
{
    public const string EntityType = "command-run";

    /// <summary>Most devices one run may have.</summary>
    public const int MaxDevices = 100_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates the run's commands held and starts releasing them; the run's id.</summary>
    [RequiresPolicy(Policies.RunCommands)]
    public async Task<Outcome<Guid>> StartAsync(
        CommandRunInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunCommands, "command-run.start", EntityType, null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not run commands on devices.");
        }

        if (Validate(input) is { } invalid)
        {
            return invalid;
        }

        var resolved = await ResolveAsync(input.Target, actor, cancellationToken);
        if (!resolved.Succeeded)
        {
            return resolved.Result;
        }

        var (ids, selection) = resolved.Value;
        var id = Guid.CreateVersion7(time.GetUtcNow());
        var queued = await commands.QueueAsync(ids, input.Order, actor, id, cancellationToken);
        if (!queued.Succeeded)
        {
            return queued.Result;
        }

        var isPercent = input.FailureCount is null;
        var threshold = input.FailureCount ?? input.FailurePercent ?? CommandRunInput.DefaultFailurePercent;
        var run = new CommandRun
        {
            Id = id,
            Kind = input.Order.Kind,
            OrderJson = JsonSerializer.Serialize(input.Order, Json),
            Reason = input.Order.Reason,
            StartedBy = actor.Name,
            Selection = selection,
            Devices = ids.Count,
            Concurrency = input.Concurrency,
            FailureThreshold = threshold,
            FailureThresholdIsPercent = isPercent,
            FailureLimit = CommandRunSteps.FailureLimit(ids.Count, threshold, isPercent),
            State = CommandRunState.Running,
            StartedAt = time.GetUtcNow(),
        };
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.CommandRuns.Add(run);
            audit.Add(db, actor, "command-run.start", EntityType, id.ToString("N"), null, Summary(run));
            await db.SaveChangesAsync(cancellationToken);
        }

        logger.LogInformation("Command run {RunId} started by {Actor}: {Summary}", id, actor.Name, Summary(run));
        notifier.Notify(id);
        runner.Wake(id);
        return id;
    }

    /// <summary>Stops releasing commands; those in flight finish.</summary>
    [RequiresPolicy(Policies.RunCommands)]
    public Task<Outcome> PauseAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, "command-run.pause", (run, _) =>
        {
            if (run.State != CommandRunState.Running)
            {
                return Outcome.Conflict($"The run is {run.State.ToString().ToLowerInvariant()}, not running.");
            }

            run.State = CommandRunState.Paused;
            run.PausedReason = $"paused by {actor.Name}";
            return Outcome.Done;
        }, cancellationToken);

    /// <summary>Releases again; failures count afresh towards the threshold.</summary>
    [RequiresPolicy(Policies.RunCommands)]
    public Task<Outcome> ResumeAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, "command-run.resume", (run, counts) =>
        {
            if (run.State != CommandRunState.Paused)
            {
                return Outcome.Conflict($"The run is {run.State.ToString().ToLowerInvariant()}, not paused.");
            }

            run.State = CommandRunState.Running;
            run.PausedReason = null;
            run.FailuresForgiven = counts.Failed;
            return Outcome.Done;
        }, cancellationToken);

    /// <summary>Cancels the run and its commands that no device has yet (held or queued).</summary>
    [RequiresPolicy(Policies.RunCommands)]
    public async Task<Outcome> CancelAsync(Guid id, Actor actor, CancellationToken cancellationToken = default)
    {
        var result = await ChangeAsync(id, actor, "command-run.cancel", (run, _) =>
        {
            if (run.State is CommandRunState.Cancelled or CommandRunState.Completed)
            {
                return Outcome.Conflict($"The run is already {run.State.ToString().ToLowerInvariant()}.");
            }

            run.State = CommandRunState.Cancelled;
            run.PausedReason = null;
            run.FinishedAt = time.GetUtcNow();
            return Outcome.Done;
        }, cancellationToken);
        if (result.Succeeded)
        {
            var cancelled = await commands.CancelWaitingAsync(id, actor, cancellationToken);
            logger.LogInformation("Command run {RunId} cancelled by {Actor}: {Count} waiting commands cancelled",
                id, actor.Name, cancelled);
            notifier.Notify(id);
        }

        return result;
    }

    /// <summary>The most recent runs first, with their counts.</summary>
    public async Task<IReadOnlyList<CommandRunView>> ListAsync(
        int take = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var runs = await db.CommandRuns.AsNoTracking().OrderByDescending(r => r.StartedAt)
            .Take(Math.Clamp(take, 1, 1000)).ToListAsync(cancellationToken);
        var ids = runs.Select(r => (Guid?)r.Id).ToList();
        var groups = await db.DeviceCommands.AsNoTracking().Where(c => ids.Contains(c.RunId))
            .GroupBy(c => new { c.RunId, c.State })
            .Select(g => new { g.Key.RunId, g.Key.State, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byRun = groups.ToLookup(g => g.RunId!.Value, g => (g.State, g.Count));
        return [.. runs.Select(r => View(r, CommandRunCounts.From(byRun[r.Id])))];
    }

    /// <summary>A run with its counts; null when there is none.</summary>
    public async Task<CommandRunView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.CommandRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return run is null ? null : View(run, await CountAsync(db, id, cancellationToken));
    }

    /// <summary>Every device's command of a run, by hostname.</summary>
    public async IAsyncEnumerable<CommandRunResult> ResultsAsync(
        Guid id,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = db.DeviceCommands.AsNoTracking().Where(c => c.RunId == id)
            .Join(db.Devices, c => c.DeviceId, d => d.Id, (c, d) => new { Command = c, d.Hostname })
            .OrderBy(r => r.Hostname).ThenBy(r => r.Command.DeviceId)
            .Select(r => new CommandRunResult(r.Command.Id, r.Command.DeviceId, r.Hostname, r.Command.State,
                r.Command.DeliveredAt, r.Command.FinishedAt, r.Command.ExitCode, r.Command.Detail, r.Command.Output,
                r.Command.Error))
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>A run's commands by state, as the runner and the pages count them.</summary>
    internal static async Task<CommandRunCounts> CountAsync(
        FleetDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var groups = await db.DeviceCommands.AsNoTracking().Where(c => c.RunId == id)
            .GroupBy(c => c.State)
            .Select(g => new { State = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return CommandRunCounts.From(groups.Select(g => (g.State, g.Count)));
    }

    /// <summary>How an audit entry shows a run.</summary>
    internal static string Summary(CommandRun run) => string.Create(CultureInfo.InvariantCulture,
        $"{run.Kind} on {run.Selection} ({run.Devices} devices), {run.Concurrency} at a time, pause at "
        + $"{(run.FailureThresholdIsPercent ? $"{run.FailureThreshold} %" : run.FailureThreshold)} failures, "
        + $"{run.State.ToString().ToLowerInvariant()}{(run.PausedReason is { } r ? $": {r}" : string.Empty)}");

    private static Outcome? Validate(CommandRunInput? input)
    {
        if (input?.Order is null || input.Target is null)
        {
            return Outcome.Invalid(string.Empty, "Give an order and a target.");
        }

        var errors = new List<OutcomeError>();
        if (input.Concurrency is < 1 or > CommandRun.MaxConcurrency)
        {
            errors.Add(OutcomeError.At("concurrency", $"From 1 to {CommandRun.MaxConcurrency}."));
        }

        if (input.FailureCount is not null && input.FailurePercent is not null)
        {
            errors.Add(OutcomeError.At("failurePercent", "Give a failure count or a percent, not both."));
        }
        else if (input.FailureCount is < 1)
        {
            errors.Add(OutcomeError.At("failureCount", "1 or more."));
        }
        else if (input.FailurePercent is < 1 or > 100)
        {
            errors.Add(OutcomeError.At("failurePercent", "From 1 to 100."));
        }

        var target = input.Target;
        var sources = (target.DeviceIds is null ? 0 : 1) + (target.GroupId is null ? 0 : 1)
            + (target.SavedFilter is null ? 0 : 1);
        if (sources != 1)
        {
            errors.Add(OutcomeError.At("target", "Name exactly one of: devices, a group, a saved filter."));
        }

        return errors.Count == 0 ? null : Outcome.Invalid(errors);
    }

    private async Task<Outcome<(IReadOnlyList<Guid> Ids, string Selection)>> ResolveAsync(
        CommandRunTarget target, Actor actor, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        List<Guid> ids;
        string selection;
        if (target.DeviceIds is { } chosen)
        {
            var distinct = chosen.Distinct().ToList();
            if (distinct.Count > MaxDevices)
            {
                return Outcome.Invalid("target", $"At most {MaxDevices} devices in one run.");
            }

            ids = await db.Devices.AsNoTracking()
                .Where(d => distinct.Contains(d.Id) && d.State == EnrollmentState.Approved)
                .Select(d => d.Id).ToListAsync(cancellationToken);
            if (ids.Count != distinct.Count)
            {
                return Outcome.Invalid("target", string.Create(CultureInfo.InvariantCulture,
                    $"{distinct.Count - ids.Count} of the {distinct.Count} devices are not approved devices."));
            }

            selection = ids.Count == 1 ? "1 selected device" : $"{ids.Count} selected devices";
        }
        else if (target.GroupId is { } groupId)
        {
            var group = await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId,
                cancellationToken);
            if (group is null)
            {
                return Outcome.NotFound($"There is no group {groupId}.");
            }

            // A device in no group follows the default group.
            var isDefault = groupId == Updates.DeviceGroup.DefaultId;
            ids = await db.Devices.AsNoTracking()
                .Where(d => (d.GroupId == groupId || (isDefault && d.GroupId == null))
                    && d.State == EnrollmentState.Approved)
                .OrderBy(d => d.Hostname).Select(d => d.Id).ToListAsync(cancellationToken);
            selection = $"group {group.Name}";
        }
        else
        {
            var name = target.SavedFilter!;
            var filter = (await savedFilters.ListAsync(actor, cancellationToken)).FirstOrDefault(f => f.Name == name);
            if (filter is null)
            {
                return Outcome.NotFound($"You have no saved filter '{name}'.");
            }

            var query = DeviceListState.Parse("?" + filter.Query).ToQuery();
            ids = [];
            await foreach (var row in devices.ExportAsync(query, cancellationToken))
            {
                if (row.State == EnrollmentState.Approved)
                {
                    ids.Add(row.Id);
                }
            }

            selection = $"saved filter {name} ({filter.Query})";
        }

        if (ids.Count == 0)
        {
            return Outcome.Invalid("target", $"The {selection} has no approved device.");
        }

        if (ids.Count > MaxDevices)
        {
            return Outcome.Invalid("target", $"The {selection} has {ids.Count} devices; at most {MaxDevices}.");
        }

        selection = selection.Length <= CommandRun.MaxSelectionLength ? selection
            : string.Concat(selection.AsSpan(0, CommandRun.MaxSelectionLength - 1), "…");
        return (ids, selection);
    }

    private static CommandRunView View(CommandRun run, CommandRunCounts counts) => new(
        run.Id, run.Kind, JsonSerializer.Deserialize<CommandOrder>(run.OrderJson, Json) ?? new CommandOrder(run.Kind),
        run.StartedBy, run.Selection, run.Devices, run.Concurrency, run.FailureThreshold,
        run.FailureThresholdIsPercent, run.FailureLimit, counts.Failed - run.FailuresForgiven, run.State,
        run.PausedReason, run.StartedAt, run.FinishedAt, counts);

    /// <summary>
    /// The frame of a person's change to a run: check the policy (a refusal is audited), apply it under the
    /// runner's gate (so no step releases commands meanwhile), audit and commit together, wake the runner.
    /// </summary>
    private async Task<Outcome> ChangeAsync(
        Guid id,
        Actor actor,
        string action,
        Func<CommandRun, CommandRunCounts, Outcome> change,
        CancellationToken cancellationToken)
    {
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunCommands, action, EntityType, id.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not run commands on devices.");
        }

        using (await runner.LockAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await db.CommandRuns.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
            if (run is null)
            {
                return Outcome.NotFound($"There is no command run {id:N}.");
            }

            var before = Summary(run);
            var result = change(run, await CountAsync(db, id, cancellationToken));
            if (!result.Succeeded)
            {
                return result;
            }

            audit.Add(db, actor, action, EntityType, id.ToString("N"), before, Summary(run));
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("{Action} {RunId} by {Actor}", action, id, actor.Name);
        }

        notifier.Notify(id);
        runner.Wake(id);
        return Outcome.Done;
    }
}
