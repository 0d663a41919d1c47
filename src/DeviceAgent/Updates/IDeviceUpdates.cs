using Fleet.DeviceAgent.Runtime;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>What the device's MQTT loop exchanges with the update side. Every member is quick and thread-safe.</summary>
/// <remarks>Reports: events first, oldest first.</remarks>
public interface IDeviceUpdates : IReportSource<DeploymentReport>
{
    /// <summary>The device just connected: a fresh report is wanted.</summary>
    void OnConnected();

    /// <summary>The portal sent a policy.</summary>
    void OnPolicy(UpdatePolicy policy);
}
