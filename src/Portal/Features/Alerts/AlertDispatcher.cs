using System.Threading.Channels;
using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Alerts;

/// <summary>An alert that just fired or resolved, with the rule it belongs to.</summary>
public sealed record AlertChange(AlertRule Rule, AlertInstance Alert, AlertEvent Event);

/// <summary>
/// Delivers notifications: a delivery row per channel is written when an alert fires or resolves (so nothing is
/// lost when the portal stops), and this service sends due rows, retrying failures with doubling delays until
/// <see cref="AlertOptions.DeliveryAttempts"/>. The rows are the delivery log.
/// </summary>
public sealed class AlertDispatcher(
    IDbContextFactory<FleetDbContext> dbFactory,
    NotificationSender sender,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 50;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _signal =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// Writes the deliveries for these changes and wakes the sender. A fired alert goes to the rule's enabled
    /// channels unless the rule is snoozed or silenced now; a resolved one goes to the channels told of its firing.
    /// </summary>
    public async Task EnqueueAsync(
        FleetDbContext db, IReadOnlyList<AlertChange> changes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(changes);
        var enabled = await db.NotificationChannels.AsNoTracking().Where(c => c.Enabled).Select(c => c.Id)
            .ToListAsync(cancellationToken);
        var resolvedIds = changes.Where(c => c.Event == AlertEvent.Resolved).Select(c => c.Alert.Id).ToList();
        var told = (await db.AlertDeliveries.AsNoTracking()
                .Where(d => resolvedIds.Contains(d.AlertId) && d.Event == AlertEvent.Fired)
                .Select(d => new { d.AlertId, d.ChannelId }).ToListAsync(cancellationToken))
            .ToLookup(d => d.AlertId, d => d.ChannelId);
        var added = 0;
        foreach (var change in changes)
        {
            var channels = change.Event == AlertEvent.Fired
                ? (IsQuiet(change.Rule, now) ? Enumerable.Empty<int>() : change.Rule.ChannelIds.Intersect(enabled))
                : told[change.Alert.Id].Intersect(enabled);
            foreach (var channelId in channels)
            {
                db.AlertDeliveries.Add(new AlertDelivery
                {
                    AlertId = change.Alert.Id,
                    ChannelId = channelId,
                    Event = change.Event,
                    Status = DeliveryStatus.Pending,
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
                added++;
            }
        }

        if (added > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            _signal.Writer.TryWrite(true);
        }
    }

    /// <summary>Snoozed, or inside its daily silence window (UTC): alerts are recorded but notify nobody.</summary>
    public static bool IsQuiet(AlertRule rule, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.SnoozedUntil > now)
        {
            return true;
        }

        if (rule is not { SilenceFrom: { } from, SilenceTo: { } to })
        {
            return false;
        }

        var t = TimeOnly.FromTimeSpan(now.UtcDateTime.TimeOfDay);
        return from <= to ? t >= from && t < to : t >= from || t < to;
    }

    /// <summary>Sends every delivery that is due now; returns how many were attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            await PruneAsync(db, now, cancellationToken);
            var due = await db.AlertDeliveries
                .Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now)
                .OrderBy(d => d.NextAttemptAt).Take(BatchSize).ToListAsync(cancellationToken);
            foreach (var delivery in due)
            {
                await AttemptAsync(db, delivery, cancellationToken);
            }

            return due.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                while (await DeliverDueAsync(stoppingToken) == BatchSize)
                {
                    // A full batch: more may be due.
                }

                wait = await NextWaitAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Rows stay pending; the next wake-up tries again.
                logger.LogError(ex, "Alert notification delivery failed");
                wait = TimeSpan.FromSeconds(options.Value.RetryDelaySeconds);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, time, timer.Token);
            await Task.WhenAny(delay, _signal.Reader.WaitToReadAsync(stoppingToken).AsTask());
            await timer.CancelAsync();
            _signal.Reader.TryRead(out _);
        }
    }

    private async Task<TimeSpan> NextWaitAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await db.AlertDeliveries.Where(d => d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.NextAttemptAt).Select(d => (DateTimeOffset?)d.NextAttemptAt)
            .FirstOrDefaultAsync(cancellationToken);
        return next is { } at ? TimeSpan.FromTicks(Math.Max(0, (at - time.GetUtcNow()).Ticks)) : TimeSpan.FromHours(1);
    }

    private async Task AttemptAsync(FleetDbContext db, AlertDelivery delivery, CancellationToken cancellationToken)
    {
        var error = await sender.SendAsync(db, delivery, cancellationToken);
        var now = time.GetUtcNow();
        delivery.Attempts++;
        if (error is null)
        {
            delivery.Status = DeliveryStatus.Delivered;
            delivery.DeliveredAt = now;
            delivery.LastError = null;
        }
        else
        {
            delivery.LastError = error.Length <= 512 ? error : error[..511] + "…";
            var o = options.Value;
            if (delivery.Attempts >= o.DeliveryAttempts)
            {
                delivery.Status = DeliveryStatus.Failed;
                logger.LogWarning(
                    "Notification {Delivery} to channel {Channel} failed {Attempts} times, giving up: {Error}",
                    delivery.Id, delivery.ChannelId, delivery.Attempts, error);
            }
            else
            {
                var backOff = TimeSpan.FromSeconds(o.RetryDelaySeconds * Math.Pow(2, delivery.Attempts - 1));
                delivery.NextAttemptAt = now + (backOff < TimeSpan.FromDays(1) ? backOff : TimeSpan.FromDays(1));
                logger.LogWarning("Notification {Delivery} to channel {Channel} failed ({Error}); retry at {At:u}",
                    delivery.Id, delivery.ChannelId, error, delivery.NextAttemptAt);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task PruneAsync(FleetDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now - _prunedAt < TimeSpan.FromHours(1))
        {
            return;
        }

        var before = now - TimeSpan.FromDays(options.Value.DeliveryLogDays);
        await db.AlertDeliveries.Where(d => d.Status != DeliveryStatus.Pending && d.CreatedAt < before)
            .ExecuteDeleteAsync(cancellationToken);
        _prunedAt = now;
    }
}
