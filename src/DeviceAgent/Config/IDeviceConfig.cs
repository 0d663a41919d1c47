using Fleet.DeviceAgent.Runtime;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Config;

/// <summary>What the device's MQTT loop exchanges with the live config side. Every member is quick and thread-safe.</summary>
/// <remarks>Reports: the oldest not yet delivered first.</remarks>
public interface IDeviceConfig : IReportSource<ConfigReport>
{
    /// <summary>The portal sent (or the broker re-delivered, retained) the desired config.</summary>
    void OnDesired(DesiredConfig config);
}
