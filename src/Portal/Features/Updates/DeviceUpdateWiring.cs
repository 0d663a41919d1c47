using System.Collections.Concurrent;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Messaging;
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

/// <summary>The policy sent to a device when it comes online (from the ingest batch's scope, so it sees uncommitted changes).</summary>
internal sealed class FleetUpdatePolicyProvider(FleetDbContext db, PortalPublicUrl urls, TimeProvider time) : IUpdatePolicyProvider
{
    // One provider per ingest batch (scoped): the groups, settings and streams it reads are read once per batch, not once
    // per device coming online; nothing in a batch changes them (people do, in their own transactions).
    private readonly Dictionary<int, DeviceGroup> _groups = [];
    private readonly Dictionary<string, UpdateStream?> _streams = new(StringComparer.Ordinal);
    private UpdateSettings? _settings;

    public async Task<UpdatePolicy> GetPolicyAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var device = await db.Devices.FindAsync([deviceId], cancellationToken)
            ?? throw new InvalidOperationException($"device {deviceId:N} vanished while coming online");
        var groupId = device.GroupId ?? DeviceGroup.DefaultId;
        if (!_groups.TryGetValue(groupId, out var group))
        {
            _groups[groupId] = group = await db.DeviceGroups.AsNoTracking().SingleAsync(g => g.Id == groupId, cancellationToken);
        }

        var settings = _settings ??= await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streamName = UpdatePlanner.AssignedStream(device, group, settings);
        if (!_streams.TryGetValue(streamName, out var stream))
        {
            _streams[streamName] = stream = await db.UpdateStreams.AsNoTracking().SingleOrDefaultAsync(s => s.Name == streamName, cancellationToken);
        }

        return DevicePolicies.For(device, group, stream, settings, urls.Get(), time.GetUtcNow());
    }
}

/// <summary>Feeds update outcomes from deployment reports into the rollout guard, which halts a failing release.</summary>
internal sealed class RolloutGuardOutcomeSink(RolloutGuard guard) : IUpdateOutcomeSink
{
    public async Task RecordAsync(
        Guid deviceId, string version, UpdateOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome == UpdateOutcome.Succeeded)
        {
            await guard.RecordSuccessAsync(version, deviceId, cancellationToken);
        }
        else
        {
            await guard.RecordFailureAsync(version, deviceId, cancellationToken);
        }
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
                    await publisher.PublishUpdatePolicyAsync(device.Id, policy, cancellationToken);
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
