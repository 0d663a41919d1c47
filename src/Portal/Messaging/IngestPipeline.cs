using System.Diagnostics;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The single writer of device state: drains the <see cref="IngestQueue"/> in batches, applies each
/// batch in one transaction, then acknowledges the messages, sends the replies and tells open pages.
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
            var started = Stopwatch.GetTimestamp();
            var (result, committing) = await ApplyAsync(batch, cancellationToken);
            var finishing = Stopwatch.GetTimestamp();
            await FinishAsync(batch, result, cancellationToken);
            metrics.Batch(batch.Count, Stopwatch.GetElapsedTime(started, committing), Stopwatch.GetElapsedTime(committing, finishing), Stopwatch.GetElapsedTime(finishing));
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

    /// <returns>The processed batch, and when its commit began (<see cref="Stopwatch.GetTimestamp"/>).</returns>
    private async Task<(DeviceMessageProcessor, long)> ApplyAsync(IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var processor = ActivatorUtilities.CreateInstance<DeviceMessageProcessor>(scope.ServiceProvider, (ILogger)logger);
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();

        // A batch tracks hundreds of entities; letting every query re-scan all of them for changes made
        // enrolment quadratic in the batch size. Changes are detected once, before the commit.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await processor.PreloadAsync(batch, cancellationToken);
        foreach (var message in batch)
        {
            await processor.ProcessAsync(message, cancellationToken);
        }

        // One transaction keeps the prepared writes, the tracked changes and the health samples (HealthBatch's own
        // prepared statements) committed, or retried, together. Once begun it is finished even when the portal is
        // stopping (a few milliseconds): cancelling it would throw the batch away and log it as a transaction error.
        var committing = Stopwatch.GetTimestamp();
        var noCancel = CancellationToken.None;
        await using var transaction = await db.Database.BeginTransactionAsync(noCancel);
        db.ChangeTracker.DetectChanges();
        Features.Updates.NodeUuidStamp.Stamp(db);

        // New devices and their rows, and changed devices, through prepared statements (EF Core's SQLite provider
        // prepares every row anew); SaveChanges writes the rest (tokens, conflicts, challenges, reports) after them.
        var prepared = PreparedWrites.Take(db,
            [typeof(Device), typeof(DeviceMac), typeof(DeviceEvent), typeof(Features.Audit.AuditEntry), typeof(Features.Attestation.DeviceIdentifier), typeof(HeartbeatRecord)],
            [typeof(Device)]);
        await prepared.WriteAsync(db, noCancel);
        await db.SaveChangesAsync(noCancel);
        var health = scope.ServiceProvider.GetRequiredService<HealthBatch>();
        await health.FlushAsync(db, noCancel);
        await transaction.CommitAsync(noCancel);
        health.Committed();
        return (processor, committing);
    }

    private async Task FinishAsync(IReadOnlyList<InboundMessage> batch, DeviceMessageProcessor result, CancellationToken cancellationToken)
    {
        // Outcomes first (rare; the rollout guard may halt a rollout on them): a device whose report was
        // acknowledged can count on its outcome having been seen.
        if (result.Outcomes.Count > 0)
        {
            await ReportOutcomesAsync(result.Outcomes, cancellationToken);
        }

        var now = time.GetUtcNow();
        foreach (var message in batch)
        {
            message.Completion.TrySetResult();
            if (message.Kind is not (InboundKind.Health or InboundKind.PresenceSweep or InboundKind.ConnectionLost))
            {
                metrics.MessageCommitted(message.Kind.ToString(), now - message.ReceivedAt);
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

    /// <summary>After the commit: the reports are stored whatever the sink does with their outcomes.</summary>
    private async Task ReportOutcomesAsync(IReadOnlyList<(Guid DeviceId, string Version, UpdateOutcome Outcome)> outcomes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var sink = scope.ServiceProvider.GetRequiredService<IUpdateOutcomeSink>();
        foreach (var (deviceId, version, outcome) in outcomes)
        {
            try
            {
                await sink.RecordAsync(deviceId, version, outcome, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Update outcome {Outcome} of {Version} on device {DeviceId:N} could not be recorded", outcome, version, deviceId);
            }
        }
    }
}
