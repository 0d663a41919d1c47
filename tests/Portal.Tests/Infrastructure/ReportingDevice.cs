using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// An approved test device (MQTT client) that sent one health report naming one interface with one address and its
/// CPU use: what Wake-on-LAN relay choice and power plans read.
/// </summary>
public static class ReportingDevice
{
    /// <summary>Enrols, approves and connects a device, which reports <paramref name="cidr"/> on eth0 with
    /// <paramref name="mac"/> and <paramref name="cpu"/> % CPU; returns once the portal stored the report.</summary>
    public static async Task<(Guid Id, TestMqttClient Client)> ConnectAsync(
        PortalInstance portal, string hostname, string mac, string cidr, double cpu = 12.5,
        DateTimeOffset? sentAt = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, hostname);
        var report = new HealthReport(1, sentAt ?? DateTimeOffset.UtcNow, CpuPercent: cpu,
            Interfaces: [new InterfaceCounters("eth0", mac, true, [cidr], 0, 0)]);
        await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport);
        var deviceId = Guid.ParseExact(id, "N");
        await WaitForHealthAsync(portal, deviceId);
        return (deviceId, client);
    }

    /// <summary>Disconnects a device and waits until the portal has it offline.</summary>
    public static async Task OfflineAsync(PortalInstance portal, Guid id, TestMqttClient client)
    {
        ArgumentNullException.ThrowIfNull(portal);
        ArgumentNullException.ThrowIfNull(client);
        await client.DisposeAsync();
        await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.Id == id && !d.IsOnline), what: "offline");
    }

    /// <summary>Waits until the portal stored a health report of the device.</summary>
    public static async Task WaitForHealthAsync(PortalInstance portal, Guid deviceId)
    {
        ArgumentNullException.ThrowIfNull(portal);
        await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.DeviceHealth.AsNoTracking().Where(h => h.DeviceId == deviceId)
                .Select(h => h.ReportJson).SingleOrDefaultAsync();
        }, what: "health report stored");
    }
}
