using Fleet.Portal.Messaging;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Marks devices Offline when they have not been heard from within the timeout: the backstop for a
/// lost will message (broker restart, half-open TCP). The sweep runs through the ingest pipeline
/// (<see cref="PresenceHandler"/>) so device state has one writer.
/// </summary>
internal sealed class PresenceMonitor(IngestQueue queue, TimeProvider time, IOptions<DeviceOptions> options)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.PresenceSweepSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                queue.Post(new InboundMessage(PresenceHandler.Sweep, string.Empty, ReadOnlyMemory<byte>.Empty,
                    time.GetUtcNow()));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
