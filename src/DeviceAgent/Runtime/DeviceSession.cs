using System.Text.Json.Serialization.Metadata;
using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// One connection of an enrolled device, as its modules see it: the device and credential in force, publishing at
/// QoS 1, waking the loop, and asking it to reconnect with another credential.
/// </summary>
public sealed class DeviceSession : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeSpan _operationTimeout;

    internal DeviceSession(MqttSession mqtt, AgentState state, TimeSpan operationTimeout, ILogger logger)
    {
        Mqtt = mqtt;
        State = state;
        DeviceId = state.DeviceId!;
        _operationTimeout = operationTimeout;
        _logger = logger;
        Wake = (_, _) => mqtt.Wake();
    }

    public string DeviceId { get; }

    /// <summary>The enrolled state (and so the credential) this connection was made with.</summary>
    public AgentState State { get; }

    /// <summary>An event handler that wakes the loop (something has a report ready); safe from any thread.</summary>
    public EventHandler Wake { get; }

    /// <summary>The state to reconnect with at once once this connection ends (a rotated credential), if any.</summary>
    internal AgentState? ReconnectState { get; private set; }

    internal MqttSession Mqtt { get; }

    /// <summary>Publishes at QoS 1; whether the broker acknowledged success.</summary>
    public Task<bool> PublishAsync<T>(
        string topic, T message, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        Mqtt.PublishAsync(topic, message, typeInfo, cancellationToken);

    /// <summary>
    /// Publishes <paramref name="payload"/> as it is at QoS 1; whether the broker acknowledged success.
    /// </summary>
    public Task<bool> PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken) =>
        Mqtt.PublishAsync(topic, payload, cancellationToken);

    /// <summary>When this connection ends, the loop connects again at once with <paramref name="state"/>.</summary>
    public void ReconnectWith(AgentState state) => ReconnectState = state;

    /// <summary>Shutdown: say Offline ourselves (a clean DISCONNECT suppresses the will), then disconnect.</summary>
    public async Task GoOfflineAsync()
    {
        if (!Mqtt.IsConnected)
        {
            return;
        }

        // Stopping waits for the operation timeout, not for a busy portal to store the Offline already sent.
        using var stopping = new CancellationTokenSource(_operationTimeout);
        try
        {
            var offline = new DeviceStatus(DeviceState.Offline);
            await Mqtt.PublishAsync(
                Topics.Status(DeviceId), offline, FleetJson.Default.DeviceStatus, stopping.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug("Could not publish Offline for device {DeviceId}: {Error}", DeviceId, ex.Message);
        }

        await Mqtt.DisconnectQuietlyAsync();
        _logger.LogInformation("Device {DeviceId} went offline", DeviceId);
    }

    public void Dispose() => Mqtt.Dispose();
}
