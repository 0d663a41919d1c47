using System.Threading.Channels;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>
/// Moves running runs on: after every change to a run's commands (<see cref="CommandNotifier"/>) it counts them and
/// releases held ones (<see cref="CommandService.ReleaseAsync"/>) while fewer than the run's concurrency are in
/// flight, pauses the run when its failures reach the threshold, and completes it when every command finished. One
/// step at a time for all runs, so two steps never release for the same free slots. State is in the database: on
/// start, and every <see cref="SweepInterval"/> in case a notification was missed, it steps every running run.
/// </summary>
public sealed class CommandRunner(
    IDbContextFactory<FleetDbContext> dbFactory,
    CommandService commands,
    CommandNotifier commandNotifier,
    CommandRunNotifier notifier,
    AuditLog audit,
    TimeProvider time,
    ILogger<CommandRunner> logger) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly Channel<Guid> _wakes = Channel.CreateUnbounded<Guid>(new() { SingleReader = true });
    private readonly HashSet<Guid> _pending = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Steps <paramref name="runId"/> soon (a wake for a run already waiting is dropped).</summary>
    public void Wake(Guid runId)
    {
        lock (_pending)
        {
            if (!_pending.Add(runId))
            {
                return;
            }
        }

        _wakes.Writer.TryWrite(runId);
    }

    /// <summary>Holds off every step until disposed: a person's change to a run is not raced by a release.</summary>
    internal async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new GateLease(_gate);
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        commandNotifier.Changed += OnCommandsChanged;
        try
        {
            var sweep = SweepAsync(stoppingToken);
            await foreach (var runId in _wakes.Reader.ReadAllAsync(stoppingToken))
            {
                lock (_pending)
                {
                    _pending.Remove(runId);
                }

                await StepAsync(runId, stoppingToken);
            }

            await sweep;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: running runs carry on from the database after the restart.
        }
        finally
        {
            commandNotifier.Changed -= OnCommandsChanged;
        }
    }

    private void OnCommandsChanged(IReadOnlyList<CommandChange> changes)
    {
        Guid? last = null;
        foreach (var change in changes)
        {
            if (change.RunId is { } runId && runId != last)
            {
                Wake(runId);
                last = runId;
            }
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        do
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                var running = await db.CommandRuns.AsNoTracking().Where(r => r.State == CommandRunState.Running)
                    .Select(r => r.Id).ToListAsync(stoppingToken);
                running.ForEach(Wake);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Could not list the running command runs ({Error}); trying again in {Seconds} s",
                    ex.Message, SweepInterval.TotalSeconds);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One step of one run (see <see cref="CommandRunSteps.Next"/>); a failure is logged and the next
    /// notification or sweep tries again.</summary>
    private async Task StepAsync(Guid runId, CancellationToken cancellationToken)
    {
        var changed = false;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await db.CommandRuns.SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
            if (run is not { State: CommandRunState.Running })
            {
                return;
            }

            var counts = await CommandRunService.CountAsync(db, runId, cancellationToken);
            var step = CommandRunSteps.Next(run, counts);
            changed = true;   // the counts moved, or the step below moves them: open pages refresh
            if (step.PauseReason is { } reason)
            {
                var before = CommandRunService.Summary(run);
                run.State = CommandRunState.Paused;
                run.PausedReason = reason;
                audit.Add(db, Actor.System, "command-run.pause", CommandRunService.EntityType, runId.ToString("N"),
                    before, CommandRunService.Summary(run));
                await db.SaveChangesAsync(cancellationToken);
                logger.LogWarning("Paused command run {RunId}: {Reason}", runId, reason);
            }
            else if (step.Complete)
            {
                run.State = CommandRunState.Completed;
                run.FinishedAt = time.GetUtcNow();
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Command run {RunId} completed: {Succeeded} succeeded, {Failed} failed, "
                    + "{Expired} expired, {Cancelled} cancelled", runId, counts.Succeeded, counts.Failed,
                    counts.Expired, counts.Cancelled);
            }
            else if (step.Release > 0)
            {
                var ids = await db.DeviceCommands.AsNoTracking()
                    .Where(c => c.RunId == runId && c.State == Shared.Messages.CommandState.Held)
                    .OrderBy(c => c.Id).Select(c => c.Id).Take(step.Release).ToListAsync(cancellationToken);
                await commands.ReleaseAsync(ids, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Command run {RunId}: a step failed; the next change or sweep tries again", runId);
        }
        finally
        {
            _gate.Release();
        }

        if (changed)
        {
            notifier.Notify(runId);
        }
    }

    private sealed class GateLease(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
