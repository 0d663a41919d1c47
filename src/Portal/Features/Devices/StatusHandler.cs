using Fleet.Portal.Data;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// <c>fleet/devices/{id}/status</c>: Online (a connect) marks the device online, remembers its address and sends it
/// its settings; Offline (its will message, or a clean shutdown) marks it offline. The update feature answers the
/// same Online with the device's update policy (<see cref="Updates.UpdatePolicyHandler"/>).
/// </summary>
internal sealed class StatusHandler(
    IOptions<DeviceOptions> options, HealthBatch health, ILogger<StatusHandler> logger) : IInboundHandler
{
    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Status)];

    public IReadOnlyCollection<Type> BulkInserts { get; } = [typeof(DeviceEvent)];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.TryRead(message, FleetJson.Default.DeviceStatus, out var status)
            || await batch.DeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        if (status.State != DeviceState.Online)
        {
            PresenceHandler.Set(batch, device, false, message.ReceivedAt, "went offline (will message or shutdown)");
            return;
        }

        device.LastSeenAt = message.ReceivedAt;
        device.LastAddress = message.Address ?? device.LastAddress;
        RecordAgentVersion(batch, device, status.AgentVersion, message.ReceivedAt);
        PresenceHandler.Set(batch, device, true, message.ReceivedAt, "connected");
        var settings = new DeviceSettings(
            options.Value.HeartbeatIntervalSeconds, await health.IntervalForAsync(batch.Db, device, cancellationToken));
        batch.Reply(Topics.Settings(message.Id), settings, FleetJson.Default.DeviceSettings);
    }

    /// <summary>
    /// The agent version the device runs, as its Online says (agents older than self-update send none). A new version
    /// changes the record: the agent's offer is looked at again (<see cref="Agents.AgentReleasePusher"/>).
    /// </summary>
    private void RecordAgentVersion(IngestBatch batch, Device device, string? version, DateTimeOffset at)
    {
        if (version is null || version == device.AgentVersion)
        {
            return;
        }

        if (version.Length is 0 or > Protocol.MaxAgentVersionLength)
        {
            logger.LogWarning("Agent version in the Online of device {DeviceId:N} ignored: not 1 to {Max} characters",
                device.Id, Protocol.MaxAgentVersionLength);
            return;
        }

        batch.AddEvent(device.Id, at, "agent", $"Agent {version} online (was {device.AgentVersion})");
        device.AgentVersion = version;
    }
}
