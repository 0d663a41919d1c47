using System.Text.Json;
using System.Threading.Channels;
using Fleet.Portal.Data;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// Sends queued commands to their devices, in the order they were asked, whenever a device comes online or a command
/// is queued for an online one; a command is sent again on each Online until the device reports it delivered, and the
/// device runs each id once. A sweep every <see cref="CommandOptions.SweepSeconds"/> expires commands past their time
/// to live, sends again what an online device has not confirmed, and deletes finished commands older than
/// <see cref="CommandOptions.RetentionDays"/>. Commands live in the database, so a portal restart loses none.
/// </summary>
public sealed class CommandDispatcher(
    IDbContextFactory<FleetDbContext> dbFactory,
    IDevicePublisher publisher,
    CommandNotifier notifier,
    IOptions<CommandOptions> options,
    TimeProvider time,
    ILogger<CommandDispatcher> logger) : BackgroundService
{
    private const int DevicesPerQuery = 500;
    private readonly Channel<Guid> _devices =
        Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>These devices may have commands to send (they came online, or commands were queued for them).</summary>
    public void Send(IEnumerable<Guid> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var id in deviceIds)
        {
            _devices.Writer.TryWrite(id);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = SweepAsync(stoppingToken);
        try
        {
            while (await _devices.Reader.WaitToReadAsync(stoppingToken))
            {
                var ids = new HashSet<Guid>();
                while (ids.Count < 4 * DevicesPerQuery && _devices.Reader.TryRead(out var id))
                {
                    ids.Add(id);
                }

                try
                {
                    await SendAsync(ids, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The commands stay queued: the next Online or sweep sends them.
                    logger.LogError(ex, "Sending the queued commands of {Count} devices failed", ids.Count);
                }
            }
        }
        finally
        {
            await sweep;
        }
    }

    private async Task SendAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken)
    {
        foreach (var chunk in deviceIds.Chunk(DevicesPerQuery))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var commands = await db.DeviceCommands
                .Where(c => chunk.Contains(c.DeviceId) && c.State == CommandState.Queued)
                .Where(c => db.Devices.Any(d => d.Id == c.DeviceId && d.IsOnline))
                .ToListAsync(cancellationToken);
            if (commands.Count == 0)
            {
                continue;
            }

            var now = time.GetUtcNow();
            var changes = new List<CommandChange>();
            foreach (var command in commands.OrderBy(c => c.DeviceId).ThenBy(c => c.RequestedAt).ThenBy(c => c.Id))
            {
                if (command.ExpiresAt <= now)
                {
                    Expire(command, now);
                    changes.Add(new CommandChange(command.Id, command.DeviceId, command.RunId, command.State));
                    continue;
                }

                await PublishAsync(command, cancellationToken);
                command.SentAt = now;
                command.Sends++;
            }

            await db.SaveChangesAsync(cancellationToken);
            notifier.Notify(changes);
        }
    }

    /// <summary>
    /// Sends one command to its device now. <see cref="CommandService"/> sends a command this way when its device
    /// is online with nothing else waiting (so order holds), recording the send in the same insert; everything else
    /// goes through <see cref="Send"/>.
    /// </summary>
    internal Task PublishAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        var request = new CommandRequest(command.Id.ToString("N"), command.Kind, command.ExpiresAt,
            CommandService.Arguments(command) is { Count: > 0 } arguments ? arguments : null, command.TimeoutSeconds);
        return publisher.PublishAsync(Topics.Commands(command.DeviceId.ToString("N")),
            JsonSerializer.SerializeToUtf8Bytes(request, FleetJson.Default.CommandRequest), cancellationToken);
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await SweepOnceAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "The command sweep failed; it runs again in {Seconds} s",
                        options.Value.SweepSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Expires, resends and deletes, as the class says.</summary>
    internal async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.DeviceCommands
            .Where(c => (c.State == CommandState.Queued || c.State == CommandState.Held) && c.ExpiresAt <= now)
            .OrderBy(c => c.ExpiresAt).Take(10_000).ToListAsync(cancellationToken);
        foreach (var command in expired)
        {
            Expire(command, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify([.. expired.Select(c => new CommandChange(c.Id, c.DeviceId, c.RunId, c.State))]);

        var unconfirmed = now - TimeSpan.FromSeconds(options.Value.SweepSeconds);
        Send(await db.DeviceCommands
            .Where(c => c.State == CommandState.Queued && (c.SentAt == null || c.SentAt < unconfirmed))
            .Where(c => db.Devices.Any(d => d.Id == c.DeviceId && d.IsOnline))
            .Select(c => c.DeviceId).Distinct().ToListAsync(cancellationToken));

        var old = now - TimeSpan.FromDays(options.Value.RetentionDays);
        var deleted = await db.DeviceCommands.Where(c => c.FinishedAt != null && c.FinishedAt < old)
            .ExecuteDeleteAsync(cancellationToken);
        if (expired.Count > 0 || deleted > 0)
        {
            logger.LogInformation("Command sweep: {Expired} expired, {Deleted} finished ones deleted",
                expired.Count, deleted);
        }
    }

    private static void Expire(DeviceCommand command, DateTimeOffset now)
    {
        command.State = CommandState.Expired;
        command.FinishedAt = now;
        command.Detail = "Its time to live passed before the device had it.";
    }
}
