namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Tells open pages which devices changed, once per committed batch, so a page refreshes what it
/// shows instead of re-querying the fleet per message.
/// </summary>
public sealed class DeviceNotifier
{
    public event Action<IReadOnlyCollection<Guid>>? DevicesChanged;

    public void Notify(IReadOnlyCollection<Guid> deviceIds)
    {
        if (deviceIds.Count > 0)
        {
            DevicesChanged?.Invoke(deviceIds);
        }
    }
}
