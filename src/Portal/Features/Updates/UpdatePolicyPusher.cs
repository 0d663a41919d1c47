using System.Collections.Concurrent;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// What a device is told about updates, from its own settings, its group's, its stream's and the
/// fleet's (<see cref="UpdatePlanner"/>), at this portal's public URLs.
/// </summary>
internal static class DevicePolicies
{
    public static UpdatePolicy For(Device device, DeviceGroup group, UpdateStream? stream, UpdateSettings settings, Uri portal, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var assigned = UpdatePlanner.AssignedStream(device, group, settings);
        var (pausedBy, _) = UpdatePlanner.PausedBy(device, group, stream, now);
        var (pin, _) = UpdatePlanner.Pin(device, group);
        var root = portal.ToString();   // the portal serves both Cincinnati and FleetLock
        return new UpdatePolicy(assigned, pausedBy is null, root, root, group.Name, pin, device.RollbackCommandId);
    }
}

/// <summary>
/// Pushes a new update policy to every online device whose policy a change altered (pause, pin, stream,
/// group, rollback, halt): devices act at once instead of at their next check. Changes are rare and made
/// by people, so one pass over the online devices per change (coalesced) is cheap.
/// </summary>
internal sealed class UpdatePolicyPusher(
    UpdateNotifier notifier,
    IDbContextFactory<FleetDbContext> dbFactory,
    IDevicePublisher publisher,
    PortalPublicUrl urls,
    TimeProvider time,
    ILogger<UpdatePolicyPusher> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, UpdatePolicy> _sent = new();
    private readonly SemaphoreSlim _changed = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        void OnChanged() => _changed.Release();
        notifier.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _changed.WaitAsync(stoppingToken);
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(stoppingToken);   // coalesce a burst of changes into one pass
                }

                await PushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            notifier.Changed -= OnChanged;
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    private async Task PushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
            var groups = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, cancellationToken);
            var streams = await db.UpdateStreams.AsNoTracking().ToDictionaryAsync(s => s.Name, cancellationToken);
            var devices = await db.Devices.AsNoTracking().Where(d => d.State == EnrollmentState.Approved && d.IsOnline).ToListAsync(cancellationToken);
            var now = time.GetUtcNow();
            var pushed = 0;
            foreach (var device in devices)
            {
                var group = groups[device.GroupId ?? DeviceGroup.DefaultId];
                var policy = DevicePolicies.For(device, group, streams.GetValueOrDefault(UpdatePlanner.AssignedStream(device, group, settings)), settings, urls.Get(), now);
                if (!_sent.TryGetValue(device.Id, out var last) || last != policy)
                {
                    await publisher.PublishAsync(Topics.UpdatePolicy(device.Id.ToString("N")),
                        JsonSerializer.SerializeToUtf8Bytes(policy, FleetJson.Default.UpdatePolicy), cancellationToken);
                    _sent[device.Id] = policy;
                    pushed++;
                }
            }

            logger.LogInformation("Update settings changed: new policy pushed to {Pushed} of {Online} online devices", pushed, devices.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next change (or the device's next connect) sends the policy again; the portal keeps running.
            logger.LogError(ex, "Pushing update policies failed");
        }
    }
}
