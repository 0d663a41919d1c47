using System.Diagnostics;
using Fleet.Portal.Data;
using Fleet.Portal.Messaging;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Ingest;

/// <summary>
/// The single writer of device state: drains the <see cref="IngestQueue"/> in batches, applies each batch through
/// the handlers of its kinds (<see cref="IInboundHandler"/>) in one transaction, then acknowledges the messages,
/// sends the replies and tells open pages.
/// A batch that fails to commit is retried message by message, so one bad message costs only itself.
/// </summary>
internal sealed class IngestPipeline(
    IngestQueue queue,
    IServiceScopeFactory scopes,
    IDevicePublisher publisher,
    IDeviceSessions sessions,
    DeviceNotifier notifier,
    IngestMetrics metrics,
    TimeProvider time,
    IOptions<MqttOptions> options,
    ILogger<IngestPipeline> logger) : BackgroundService
{
    // A fault that every batch hits (a full disk, a held lock) is logged once a minute with a count, not per message.
    private readonly RepeatedLog _repeated = new(time, TimeSpan.FromMinutes(1));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<InboundMessage>(options.Value.IngestBatchSize);
        var window = TimeSpan.FromMilliseconds(options.Value.IngestBatchWindowMilliseconds);
        var lastStart = 0L;
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                // Busy (the last batch started within the window) and the batch not full yet: let it fill up until the
                // window has passed. Wall-clock, not the portal's clock.
                var since = Stopwatch.GetElapsedTime(lastStart);
                if (lastStart != 0 && since < window && queue.Count < options.Value.IngestBatchSize)
                {
                    await Task.Delay(window - since, stoppingToken);
                }

                lastStart = Stopwatch.GetTimestamp();
                batch.Clear();
                while (batch.Count < options.Value.IngestBatchSize && queue.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                await ProcessBatchAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Unacknowledged messages stay unacknowledged; their senders re-send them after restart.
            foreach (var message in batch)
            {
                message.Completion.TrySetCanceled(stoppingToken);
            }
        }
    }

    internal async Task ProcessBatchAsync(IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        try
        {
            var (apply, commit, finish) = await RunAsync(batch, cancellationToken);
            metrics.Batch(batch.Count, apply, commit, finish);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && batch.Count > 1)
        {
            if (_repeated.ShouldLog("batch " + RepeatedLog.KeyOf(ex), out var earlier))
            {
                logger.LogWarning(
                    ex,
                    "Batch of {Count} failed to commit; retrying one message at a time "
                    + "({Earlier} more like it in the minute before)",
                    batch.Count, earlier);
            }

            foreach (var message in batch)
            {
                await ProcessBatchAsync([message], cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (_repeated.ShouldLog("message " + RepeatedLog.KeyOf(ex), out var earlier))
            {
                logger.LogError(ex,
                    "{Kind} for {Id} could not be stored ({Earlier} more like it in the minute before)", batch[0].Kind,
                    batch[0].Id, earlier);
            }

            batch[0].Completion.TrySetException(ex);
        }
    }

    /// <summary>Applies, commits and finishes one batch, in one DI scope (its handlers, its context).</summary>
    private async Task<(TimeSpan Apply, TimeSpan Commit, TimeSpan Finish)> RunAsync(
        IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var handlers = scope.ServiceProvider.GetServices<IInboundHandler>().ToList();
        var ingest = new IngestBatch(db, logger);

        // A batch tracks hundreds of entities; letting every query re-scan all of them for changes made
        // enrolment quadratic in the batch size. Changes are detected once, before the commit.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var byKind = await PreloadAsync(batch, handlers, ingest, cancellationToken);
        foreach (var message in batch)
        {
            foreach (var handler in byKind.GetValueOrDefault(message.Kind) ?? [])
            {
                await handler.HandleAsync(message, ingest, cancellationToken);
            }
        }

        var committing = Stopwatch.GetTimestamp();
        await CommitAsync(db, handlers, ingest);
        var finishing = Stopwatch.GetTimestamp();
        await FinishAsync(batch, handlers, ingest, cancellationToken);
        return (Stopwatch.GetElapsedTime(started, committing), Stopwatch.GetElapsedTime(committing, finishing),
            Stopwatch.GetElapsedTime(finishing));
    }

    /// <summary>
    /// The devices the batch names, in one query, then what each handler needs for its messages; returns the
    /// handlers of each kind, in registration order.
    /// </summary>
    private async Task<Dictionary<InboundKind, List<IInboundHandler>>> PreloadAsync(
        IReadOnlyList<InboundMessage> batch,
        List<IInboundHandler> handlers,
        IngestBatch ingest,
        CancellationToken cancellationToken)
    {
        var byKind = new Dictionary<InboundKind, List<IInboundHandler>>();
        foreach (var handler in handlers)
        {
            foreach (var kind in handler.Kinds)
            {
                (byKind.TryGetValue(kind, out var list) ? list : byKind[kind] = []).Add(handler);
            }
        }

        var devices = new HashSet<Guid>();
        foreach (var message in batch)
        {
            if (byKind.TryGetValue(message.Kind, out var own) && own.Exists(h => h.LoadsDevice)
                && Guid.TryParseExact(message.Id, "N", out var id))
            {
                devices.Add(id);
            }
            else if (own is null)
            {
                logger.LogError("{Kind} from {Id} has no handler; dropped", message.Kind, message.Id);
            }
        }

        await ingest.LoadDevicesAsync(devices, cancellationToken);
        foreach (var handler in handlers)
        {
            var mine = batch.Where(m => handler.Kinds.Contains(m.Kind)).ToList();
            if (mine.Count > 0)
            {
                await handler.PreloadAsync(mine, ingest, cancellationToken);
            }
        }

        return byKind;
    }

    /// <summary>
    /// One transaction keeps the prepared writes, the tracked changes and the handlers' own writes committed, or
    /// retried, together. Once begun it is finished even when the portal is stopping (a few milliseconds): cancelling
    /// it would throw the batch away and log it as a transaction error.
    /// </summary>
    private static async Task CommitAsync(FleetDbContext db, List<IInboundHandler> handlers, IngestBatch ingest)
    {
        var noCancel = CancellationToken.None;
        await using var transaction = await db.Database.BeginTransactionAsync(noCancel);
        db.ChangeTracker.DetectChanges();
        NodeUuidStamp.Stamp(db);

        // What handlers add by the hundred goes through prepared statements (EF Core's SQLite provider prepares
        // every row anew); SaveChanges writes the rest (tokens, conflicts, challenges, reports) after them.
        var prepared = PreparedWrites.Take(db,
            [.. handlers.SelectMany(h => h.BulkInserts).Distinct()],
            [.. handlers.SelectMany(h => h.BulkUpdates).Distinct()]);
        await prepared.WriteAsync(db, noCancel);
        await db.SaveChangesAsync(noCancel);
        foreach (var handler in handlers)
        {
            await handler.SavedAsync(ingest, noCancel);
        }

        await transaction.CommitAsync(noCancel);
    }

    private async Task FinishAsync(
        IReadOnlyList<InboundMessage> batch,
        List<IInboundHandler> handlers,
        IngestBatch result,
        CancellationToken cancellationToken)
    {
        foreach (var handler in handlers)
        {
            try
            {
                await handler.CommittedAsync(result, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Stored is stored: the messages are acknowledged whatever a consequence of them does.
                logger.LogError(ex, "{Handler} failed after its batch was committed", handler.GetType().Name);
            }
        }

        var now = time.GetUtcNow();
        foreach (var message in batch)
        {
            message.Completion.TrySetResult();
            if (message.Kind.FromDevice)
            {
                metrics.MessageCommitted(message.Kind.Name, now - message.ReceivedAt);
            }
        }

        foreach (var (topic, payload) in result.Outbox)
        {
            await publisher.PublishAsync(topic, payload, cancellationToken);
        }

        foreach (var id in result.EndSessions)
        {
            var ended = await sessions.DisconnectAsync(id.ToString("N"), cancellationToken);
            logger.LogInformation(
                "Credential of device {DeviceId:N} revoked; live session {Session}", id, ended ? "ended" : "none");
        }

        notifier.Notify(result.Changed);
        result.Reported.ExceptWith(result.Changed);
        notifier.NotifyTelemetry(result.Reported);
    }
}
