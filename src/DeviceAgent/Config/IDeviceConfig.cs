using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Config;

/// <summary>What the device's MQTT loop exchanges with the live config side. Every member is quick and thread-safe.</summary>
public interface IDeviceConfig
{
    /// <summary>Raised, on any thread, when <see cref="NextReport"/> has something to send.</summary>
    event EventHandler? ReportReady;

    /// <summary>The portal sent (or the broker re-delivered, retained) the desired config.</summary>
    void OnDesired(DesiredConfig config);

    /// <summary>The oldest report not yet delivered, or null.</summary>
    ConfigReport? NextReport();

    /// <summary>The broker acknowledged <paramref name="report"/>.</summary>
    void Delivered(ConfigReport report);
}
