using Fleet.Portal.Tests.Health;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Power;

/// <summary>Approved test devices (MQTT clients) whose health report names one interface with one address.</summary>
internal static class PowerDevices
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>An approved, online device that reported <paramref name="cidr"/> on eth0 and
    /// <paramref name="cpu"/> % CPU.</summary>
    public static async Task<(Guid Id, TestMqttClient Client)> ReportingAsync(
        PortalInstance portal, string hostname, string mac, string cidr, double cpu = 12.5,
        DateTimeOffset? sentAt = null)
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, hostname);
        var report = HealthIngestTests.Report(1, sentAt, cpu) with
        {
            Interfaces = [new InterfaceCounters("eth0", mac, true, [cidr], 0, 0)],
        };
        await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport);
        var deviceId = Guid.ParseExact(id, "N");
        await WaitForHealthAsync(portal, deviceId);
        return (deviceId, client);
    }

    /// <summary>Disconnects a device and waits until the portal has it offline.</summary>
    public static async Task OfflineAsync(PortalInstance portal, Guid id, TestMqttClient client)
    {
        await client.DisposeAsync();
        await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.Id == id && !d.IsOnline), what: "offline");
    }

    public static async Task WaitForHealthAsync(PortalInstance portal, Guid deviceId) =>
        await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.DeviceHealth.AsNoTracking().Where(h => h.DeviceId == deviceId)
                .Select(h => h.ReportJson).SingleOrDefaultAsync(Token);
        }, what: "health report stored");
}
