using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>What the device's MQTT loop exchanges with the update side. Every member is quick and thread-safe.</summary>
public interface IDeviceUpdates
{
    /// <summary>Raised, on any thread, when <see cref="NextReport"/> has something to send.</summary>
    event EventHandler? ReportReady;

    /// <summary>The device just connected: a fresh report is wanted.</summary>
    void OnConnected();

    /// <summary>The portal sent a policy.</summary>
    void OnPolicy(UpdatePolicy policy);

    /// <summary>The next report to publish (events first, oldest first), or null.</summary>
    DeploymentReport? NextReport();

    /// <summary>The broker acknowledged <paramref name="report"/>.</summary>
    void Delivered(DeploymentReport report);
}
