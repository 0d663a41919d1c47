using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// <c>fleet/devices/{id}/status</c> Online: the device gets its update policy (<see cref="DevicePolicies"/>), read in
/// the batch's context so it sees the batch's own changes. Runs after <see cref="StatusHandler"/>, which sends the
/// device's settings.
/// </summary>
internal sealed class UpdatePolicyHandler(PortalPublicUrl urls, TimeProvider time, ILogger<UpdatePolicyHandler> logger)
    : IInboundHandler
{
    // One handler per batch: the groups, settings and streams it reads are read once per batch, not once per device
    // coming online; nothing in a batch changes them (people do, in their own transactions).
    private readonly Dictionary<int, DeviceGroup> _groups = [];
    private readonly Dictionary<string, UpdateStream?> _streams = new(StringComparer.Ordinal);
    private UpdateSettings? _settings;

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Status)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.TryRead(message, FleetJson.Default.DeviceStatus, out var status)
            || status.State != DeviceState.Online
            || await batch.DeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        try
        {
            var policy = await PolicyAsync(batch.Db, device, cancellationToken);
            batch.Reply(Topics.UpdatePolicy(message.Id), policy, FleetJson.Default.UpdatePolicy);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The device keeps the policy it last received; failing the batch would only cost it its Online.
            logger.LogError(ex, "No update policy sent to device {DeviceId:N}: reading its policy failed", device.Id);
        }
    }

    private async Task<UpdatePolicy> PolicyAsync(FleetDbContext db, Device device, CancellationToken cancellationToken)
    {
        var groupId = device.GroupId ?? DeviceGroup.DefaultId;
        if (!_groups.TryGetValue(groupId, out var group))
        {
            _groups[groupId] = group =
                await db.DeviceGroups.AsNoTracking().SingleAsync(g => g.Id == groupId, cancellationToken);
        }

        var settings = _settings ??= await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streamName = UpdatePlanner.AssignedStream(device, group, settings);
        if (!_streams.TryGetValue(streamName, out var stream))
        {
            _streams[streamName] = stream = await db.UpdateStreams.AsNoTracking()
                .SingleOrDefaultAsync(s => s.Name == streamName, cancellationToken);
        }

        return DevicePolicies.For(device, group, stream, settings, urls.Get(), time.GetUtcNow());
    }
}
