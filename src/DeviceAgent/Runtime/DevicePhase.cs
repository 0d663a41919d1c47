namespace Fleet.DeviceAgent.Runtime;

/// <summary>Where a <see cref="DeviceRuntime"/> is in its lifecycle.</summary>
public enum DevicePhase
{
    /// <summary>Not connected: starting, broker unreachable, or backing off before the next attempt.</summary>
    Disconnected,

    /// <summary>Connected with the bootstrap identity; request sent, no decision yet.</summary>
    Enrolling,

    /// <summary>The portal recorded the request and waits for someone to approve it.</summary>
    Pending,

    /// <summary>The portal rejected the request; the agent asks again rarely.</summary>
    Rejected,

    /// <summary>Connected with the device's own credential, sending heartbeats.</summary>
    Connected,

    /// <summary><see cref="DeviceRuntime.RunAsync"/> has returned.</summary>
    Stopped,
}
