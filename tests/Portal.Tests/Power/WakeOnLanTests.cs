using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.DeviceAgent.Health;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Power;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.Portal.Tests.Power;

/// <summary>
/// Wake-on-LAN end to end: the portal picks the online device on the sleeping device's segment (from the interfaces
/// both reported) and queues the command to it; the real agent sends the magic packet, and a real UDP listener on the
/// segment's broadcast address receives it. The loopback network 127.0.0.0/8 stands in for the segment: its
/// broadcast address 127.255.255.255 reaches a socket bound to it, on loopback only.
/// </summary>
public sealed class WakeOnLanTests
{
    private const string SleeperMac = "52:54:00:5e:e9:01";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Wake_SleepingDevice_RealAgentOnItsSegmentSendsMagicPacketToTheListener()
    {
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Parse("127.255.255.255"), 0));
        var port = ((IPEndPoint)listener.Client.LocalEndPoint!).Port;
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Power:WakeOnLanPort"] = port.ToString(CultureInfo.InvariantCulture),
        });
        var sleeper = await SleepAsync(portal, "sleeper", "127.0.0.2/8");

        // The relay: the real agent, whose interface report says it sits on 127.0.0.0/8 (interface wol0).
        using var root = new TempRoot();
        var relayMac = "52:54:00:5e:e9:02";
        root.Interface("wol0", relayMac);
        await using var agent = await AgentHost.StartAsync(
            portal.MqttPort,
            settings: new Dictionary<string, string?> { ["Agent:HealthIntervalOverrideSeconds"] = "1" },
            services: s => s.Replace(ServiceDescriptor.Singleton<IHealthSource>(sp => new HealthSampler(
                [new InterfaceCollector(new HostFiles(root.Path), () => new Dictionary<string, IReadOnlyList<string>>
                {
                    ["wol0"] = ["127.0.0.1/8"],
                })],
                TimeSpan.FromSeconds(5),
                sp.GetRequiredService<ILogger<HealthSampler>>()))));
        var relayId = await AgentHost.ApproveAsync(portal);
        await ReportingDevice.WaitForHealthAsync(portal, relayId);

        var woken = await portal.Services.GetRequiredService<WakeService>()
            .WakeAsync(sleeper, TestActors.Operator, cancellationToken: Token);

        Assert.True(woken.Succeeded, woken.Message);
        Assert.Equal((relayId, SleeperMac, "127.255.255.255", port),
            (woken.Value!.RelayId, woken.Value.Mac, woken.Value.Address, woken.Value.Port));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var received = await listener.ReceiveAsync(timeout.Token);
        Assert.Equal(IPAddress.Loopback, received.RemoteEndPoint.Address);
        AssertMagicPacket(received.Buffer, SleeperMac);

        // The relay reports the command done; the wake is audited on the sleeping device.
        var command = await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.DeviceCommands.AsNoTracking().SingleOrDefaultAsync(
                c => c.Id == woken.Value.CommandId && c.State == CommandState.Succeeded, Token);
        }, TimeSpan.FromSeconds(30), "wake-on-lan command succeeded");
        Assert.Equal((relayId, CommandKinds.WakeOnLan, "tester"),
            (command.DeviceId, command.Kind, command.RequestedBy));
        Assert.Contains($"magic packet for {SleeperMac}", command.Detail, StringComparison.Ordinal);
        await using var audit = await portal.CreateDbAsync();
        var entry = await audit.AuditEntries.AsNoTracking()
            .SingleAsync(a => a.Action == WakeService.Action && a.EntityId == sleeper.ToString("N"), Token);
        Assert.Equal("tester", entry.Actor);
    }

    [Fact]
    public async Task Wake_TwoRelaysOnDifferentPrefixes_QueuedToTheOneOnTheSleepersSegment()
    {
        await using var portal = await PortalInstance.StartAsync();
        var sleeper = await SleepAsync(portal, "sleeper", "10.2.0.9/24");
        var (a, clientA) = await ReportingDevice.ConnectAsync(portal, "relay-a", "52:54:00:00:0a:01", "10.1.0.5/24");
        await using var _ = clientA;
        var (b, clientB) = await ReportingDevice.ConnectAsync(portal, "relay-b", "52:54:00:00:0b:01", "10.2.0.5/24");
        await using var __ = clientB;

        var woken = await portal.Services.GetRequiredService<WakeService>()
            .WakeAsync(sleeper, TestActors.Admin, cancellationToken: Token);

        Assert.True(woken.Succeeded, woken.Message);
        Assert.Equal((b, "relay-b", SleeperMac, "10.2.0.255", 9),
            (woken.Value!.RelayId, woken.Value.RelayHostname, woken.Value.Mac, woken.Value.Address, woken.Value.Port));
        await using var db = await portal.CreateDbAsync();
        var command = await db.DeviceCommands.AsNoTracking().SingleAsync(c => c.Kind == CommandKinds.WakeOnLan, Token);
        Assert.Equal(b, command.DeviceId);
        Assert.NotEqual(a, command.DeviceId);
        Assert.Contains("\"10.2.0.255\"", command.ArgumentsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wake_NoRelayOnSegmentOrHelpDeskOrOnline_RefusedWithReasonAndNothingQueued()
    {
        await using var portal = await PortalInstance.StartAsync();
        var sleeper = await SleepAsync(portal, "sleeper", "10.3.0.9/24");
        var (online, client) =
            await ReportingDevice.ConnectAsync(portal, "elsewhere", "52:54:00:00:0c:01", "10.1.0.5/24");
        await using var _ = client;
        var wake = portal.Services.GetRequiredService<WakeService>();

        var noRelay = await wake.WakeAsync(sleeper, TestActors.Operator, cancellationToken: Token);
        var helpDesk = await wake.WakeAsync(sleeper, TestActors.HelpDesk, cancellationToken: Token);
        var awake = await wake.WakeAsync(online, TestActors.Operator, cancellationToken: Token);

        Assert.Equal(OutcomeKind.Conflict, noRelay.Kind);
        Assert.Contains("No online approved device is on the segment of sleeper (10.3.0.0/24)", noRelay.Message,
            StringComparison.Ordinal);
        Assert.Equal(OutcomeKind.Forbidden, helpDesk.Kind);
        Assert.Equal(OutcomeKind.Conflict, awake.Kind);
        await using var db = await portal.CreateDbAsync();
        Assert.False(await db.DeviceCommands.AnyAsync(Token));
    }

    /// <summary>Checks a Wake-on-LAN magic packet: 6 × 0xFF, then the MAC 16 times, nothing else.</summary>
    internal static void AssertMagicPacket(byte[] packet, string mac)
    {
        Assert.Equal(102, packet.Length);
        Assert.All(packet[..6], b => Assert.Equal(0xFF, b));
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(mac, MacAddress.Format(packet.AsSpan(6 + (i * 6), 6)));
        }
    }

    /// <summary>An approved device that reported one interface, then went offline: the device to wake.</summary>
    private static async Task<Guid> SleepAsync(PortalInstance portal, string hostname, string cidr)
    {
        var (id, client) = await ReportingDevice.ConnectAsync(portal, hostname, SleeperMac, cidr);
        await ReportingDevice.OfflineAsync(portal, id, client);
        return id;
    }

    /// <summary>A host root with <c>/sys/class/net/{name}</c> for the interface collector.</summary>
    private sealed class TempRoot : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("fleet-wol-root-").FullName;

        public void Interface(string name, string mac)
        {
            var dir = System.IO.Path.Combine(Path, "sys", "class", "net", name);
            Directory.CreateDirectory(System.IO.Path.Combine(dir, "statistics"));
            File.WriteAllText(System.IO.Path.Combine(dir, "address"), mac + "\n");
            File.WriteAllText(System.IO.Path.Combine(dir, "operstate"), "up\n");
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
