using System.Collections.Concurrent;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// Publishes each approved device's <see cref="AgentRelease"/>, retained on <see cref="Topics.AgentRelease"/>: the
/// build <see cref="AgentRollout.OfferTo"/> offers it, or an empty retained message that clears the offer when there is
/// none any more (halted, removed, outside the percentage, or the device runs it). Passes over every approved device at
/// start-up (the retained store lives in memory) and whenever targets or builds change (<see cref="AgentNotifier"/>); a
/// device alone when its record changes (approved, regrouped, a new agent version online:
/// <see cref="DeviceNotifier.RecordsChanged"/>). Only a changed offer is published again; each is recorded in
/// <see cref="DeviceAgentState.OfferedVersion"/>.
/// </summary>
internal sealed class AgentReleasePusher(
    AgentNotifier agents,
    DeviceNotifier devices,
    IDbContextFactory<FleetDbContext> dbFactory,
    IDevicePublisher publisher,
    PortalPublicUrl urls,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<AgentReleasePusher> logger) : BackgroundService
{
    // What the retained store holds per device (null: nothing); the store is in memory, so this is too.
    private readonly ConcurrentDictionary<Guid, AgentRelease?> _sent = new();
    private readonly DevicePushSignal _due = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        agents.Changed += _due.All;
        devices.RecordsChanged += _due.Devices;
        try
        {
            // Every hosted service has started, the broker with them: a retained message published now is kept.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                var (all, ids) = _due.Take();
                if (all || ids.Count > 0)
                {
                    await PushAsync(all ? null : ids, stoppingToken);
                }

                await _due.WaitAsync(TimeSpan.Zero, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            agents.Changed -= _due.All;
            devices.RecordsChanged -= _due.Devices;
        }
    }

    public override void Dispose()
    {
        _due.Dispose();
        base.Dispose();
    }

    /// <summary>Publishes the changed offers of these devices (null: every approved device).</summary>
    private async Task PushAsync(IReadOnlyCollection<Guid>? only, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var targets = await db.AgentTargets.AsNoTracking().ToListAsync(cancellationToken);
            if (targets.Count == 0 && only is not null && !_sent.Values.Any(r => r is not null))
            {
                return;   // no target and nothing offered: devices enrolling by the thousand cost no more reads
            }

            var query = db.Devices.AsNoTracking().Where(d => d.State == EnrollmentState.Approved);
            if (only is not null)
            {
                var list = only.ToList();
                query = query.Where(d => list.Contains(d.Id));
            }

            var approved = await query.Select(d => new { d.Id, d.GroupId, d.Architecture, d.AgentVersion })
                .ToListAsync(cancellationToken);
            var builds = await db.AgentBuilds.AsNoTracking().ToListAsync(cancellationToken);
            var ids = approved.Select(d => d.Id).ToList();
            var states = await db.DeviceAgentStates.Where(s => ids.Contains(s.DeviceId))
                .ToDictionaryAsync(s => s.DeviceId, cancellationToken);
            var portal = urls.Get();
            var now = time.GetUtcNow();
            var published = 0;
            foreach (var device in approved)
            {
                var offer = AgentRollout.OfferTo(
                    device.Id, device.GroupId, device.Architecture, device.AgentVersion, targets, builds);
                var release = offer.Build is { } build ? AgentRollout.Release(build, portal) : null;
                if (!_sent.TryGetValue(device.Id, out var sent) ? release is not null : sent != release)
                {
                    var topic = Topics.AgentRelease(device.Id.ToString("N"));
                    var payload = release is null ? []
                        : JsonSerializer.SerializeToUtf8Bytes(release, FleetJson.Default.AgentRelease);
                    await publisher.PublishRetainedAsync(topic, payload, cancellationToken);   // empty: cleared
                    _sent[device.Id] = release;
                    published++;
                }

                var state = states.GetValueOrDefault(device.Id);
                if (state?.OfferedVersion != release?.Version)
                {
                    if (state is null)
                    {
                        db.DeviceAgentStates.Add(state = new DeviceAgentState { DeviceId = device.Id });
                    }

                    state.OfferedVersion = release?.Version;
                    state.OfferedAt = release is null ? state.OfferedAt : now;
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            if (published > 0)
            {
                logger.LogInformation("Agent releases: {Published} offers published or withdrawn for {Devices} devices",
                    published, approved.Count);
            }
        }
        catch (DbUpdateException ex)
        {
            // The ingest recorded a device's first report meanwhile: the next pass records the offer again.
            logger.LogWarning(ex, "Recording agent offers clashed with a concurrent write; trying again in a second");
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            _due.All();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next change (or the device's next record change) pushes again; the portal keeps running.
            logger.LogError(ex, "Pushing agent releases failed");
        }
    }
}
