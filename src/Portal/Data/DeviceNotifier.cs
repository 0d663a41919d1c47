namespace Fleet.Portal.Data;

/// <summary>
/// Tells open pages and background services which devices changed, once per committed batch, so they
/// refresh what they show instead of re-querying the fleet per message.
/// </summary>
/// <remarks>
/// Two kinds of change: a device's <em>record</em> (state, names, group, identities) and its
/// <em>telemetry</em> (health, heartbeats, deployment and config reports). Pages and alert rules care about
/// both (<see cref="DevicesChanged"/>); whatever is derived from the record alone, such as the rendered
/// Ignition config, listens to <see cref="RecordsChanged"/> and so is not woken thousands of times a
/// second by health reports.
/// </remarks>
public sealed class DeviceNotifier
{
    /// <summary>Any change: the record or new telemetry.</summary>
    public event Action<IReadOnlyCollection<Guid>>? DevicesChanged;

    /// <summary>Only changes that may alter what the device is: state, names, group, identities.</summary>
    public event Action<IReadOnlyCollection<Guid>>? RecordsChanged;

    /// <summary>The devices' records changed (raises both events).</summary>
    public void Notify(IReadOnlyCollection<Guid> deviceIds)
    {
        if (deviceIds.Count > 0)
        {
            RecordsChanged?.Invoke(deviceIds);
            DevicesChanged?.Invoke(deviceIds);
        }
    }

    /// <summary>Only new telemetry arrived for these devices.</summary>
    public void NotifyTelemetry(IReadOnlyCollection<Guid> deviceIds)
    {
        if (deviceIds.Count > 0)
        {
            DevicesChanged?.Invoke(deviceIds);
        }
    }
}
