namespace Fleet.Shared.Messages;

/// <summary>
/// Agent → portal on <see cref="Topics.Status"/>: published as <see cref="DeviceState.Online"/> right after
/// connecting, registered as the MQTT will message with <see cref="DeviceState.Offline"/>, and published as
/// <see cref="DeviceState.Offline"/> before a clean shutdown.
/// </summary>
/// <param name="State">Online or Offline.</param>
/// <param name="AgentVersion">
/// The version of the agent binary that is running, sent with Online (absent from the will message and from agents
/// older than self-update); the portal records it, so a self-update shows as the new version coming online.
/// </param>
public sealed record DeviceStatus(DeviceState State, string? AgentVersion = null);

/// <summary>Connectivity state a device reports about itself.</summary>
public enum DeviceState
{
    /// <summary>Connected with its own credential.</summary>
    Online,

    /// <summary>Disconnected (will message or clean shutdown).</summary>
    Offline,
}
