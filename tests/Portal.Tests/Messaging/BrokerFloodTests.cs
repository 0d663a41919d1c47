using System.Diagnostics;
using System.Net;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>Tests that measure the test process's memory run alone, not beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}

/// <summary>
/// Floods of connections that send nothing, or only bootstrap CONNECTs, or announce huge packets, against the real
/// broker: each is refused by its budget while known devices, the web UI and the API keep working, and the portal's
/// memory comes back once the flood has gone.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class BrokerFloodTests
{
    private const int PerAddress = 20;
    private const int Pending = 100;
    private const int Bootstrap = 60;

    [Fact]
    public async Task Flood_OverPerAddressAndGlobalBudgets_RefusedWhileDevicesAndWebAnswer()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Mqtt:MaxPendingConnectionsPerAddress"] =
                PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:MaxPendingConnections"] = Pending.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:MaxBootstrapSessions"] = Bootstrap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:ConnectTimeoutSeconds"] = "600",
        });
        var budget = portal.Services.GetRequiredService<ConnectionBudget>();
        var (deviceId, secret) = await ApprovedDevice.EnrolAsync(portal, "known-during-flood");
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };

        await FloodAsync(portal, budget, 1);   // the first flood warms up the code paths; the second is measured
        await Eventually.TrueAsync(() => budget.Counts.Total == 0);
        var baseline = Memory();

        var during = await FloodAsync(portal, budget, 2, async () =>
        {
            var (device, code) = await TestMqttClient.ConnectAsync(portal.MqttPort, deviceId, deviceId, secret);
            await using var _ = device;
            Assert.Equal(MqttClientConnectResultCode.Success, code);
            var heartbeat = new Heartbeat(1, DateTimeOffset.UtcNow, 10, 0.1, 0.1, 0.1);
            Assert.Equal(MqttClientPublishReasonCode.Success, await device.PublishAsync(Topics.Heartbeat(deviceId),
                heartbeat, FleetJson.Default.Heartbeat));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/readyz", UriKind.Relative),
                TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/account/login", UriKind.Relative),
                TestContext.Current.CancellationToken)).StatusCode);
        });

        Assert.Equal(PerAddress, during.PendingFromOneAddress);
        Assert.Equal(Bootstrap, during.BootstrapAccepted);
        Assert.Equal(10, during.BootstrapRefused);
        Assert.Equal(Pending, during.PendingAtMost);
        await Eventually.TrueAsync(() => budget.Counts.Total == 0);
        var after = Memory();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"managed heap {baseline.Heap >> 20} -> {after.Heap >> 20} MiB, "
            + $"working set {baseline.WorkingSet >> 20} -> {after.WorkingSet >> 20} MiB");
        Assert.True(after.Heap - baseline.Heap < 8 << 20,
            $"managed heap {baseline.Heap >> 20} -> {after.Heap >> 20} MiB");
        Assert.True(after.WorkingSet - baseline.WorkingSet < 64 << 20,
            $"working set {baseline.WorkingSet >> 20} -> {after.WorkingSet >> 20} MiB");
        await portal.Logs.WaitForAsync(e =>
            e.Message.Contains("too many connections from this address have not sent a CONNECT",
            StringComparison.Ordinal));
        await portal.Logs.WaitForAsync(e => e.Message.Contains("bootstrap session budget full",
            StringComparison.Ordinal));
        await portal.Logs.WaitForAsync(e => e.Message.Contains("closed while silent to make room",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_Announcing256MiB_ClosedAtItsHeaderWithNothingAllocated()
    {
        await using var portal = await PortalInstance.StartAsync();
        await using (var warmUp = await RawMqtt.OpenAsync(portal.MqttPort))
        {
            await warmUp.SendAsync([0x10, .. RawMqtt.RemainingLength(268_435_455)]);
            await warmUp.WaitClosedAsync();
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var before = Memory();
        await using var client = await RawMqtt.OpenAsync(portal.MqttPort);
        await client.SendAsync([0x10, .. RawMqtt.RemainingLength(268_435_455)]);
        var sent = await client.SendUntilClosedAsync(64L << 20);
        await client.WaitClosedAsync();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var after = Memory();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sent {sent >> 10} KiB before the reset; allocated {allocated >> 10} KiB; "
            + $"working set {before.WorkingSet >> 20} -> {after.WorkingSet >> 20} MiB");

        Assert.True(sent < 64L << 20, $"the broker read all {sent} bytes sent");
        Assert.True(allocated < 16 << 20, $"{allocated >> 20} MiB allocated while the broker refused the CONNECT");
        Assert.True(after.WorkingSet - before.WorkingSet < 16 << 20,
            $"working set {before.WorkingSet >> 20} -> {after.WorkingSet >> 20} MiB");
        await portal.Logs.WaitForAsync(e =>
            e.Message.Contains("CONNECT announces 268435455 bytes, over the 16384-byte limit",
            StringComparison.Ordinal));
    }

    /// <summary>
    /// One flood: idle sockets from one address past its limit, bootstrap sessions from many addresses past theirs,
    /// idle sockets from many addresses past the pending pool; <paramref name="meanwhile"/> runs while all are held.
    /// </summary>
    private static async Task<FloodResult> FloodAsync(PortalInstance portal, ConnectionBudget budget, int round,
        Func<Task>? meanwhile = null)
    {
        var held = new List<RawMqtt>();
        try
        {
            var fromOne = new List<RawMqtt>();
            for (var i = 0; i < PerAddress + 10; i++)
            {
                fromOne.Add(await RawMqtt.OpenAsync(portal.MqttPort));
            }

            held.AddRange(fromOne);
            foreach (var refused in fromOne.Skip(PerAddress))
            {
                await refused.WaitClosedAsync();
            }

            var pendingFromOne = budget.Counts.Pending;
            var (accepted, refusedSessions) = (0, 0);
            for (var i = 0; i < Bootstrap + 10; i++)
            {
                var session = await RawMqtt.OpenAsync(portal.MqttPort, Address(round, 10, i));
                held.Add(session);
                await session.ConnectAsync(TestMqttClient.NewEnrollmentId(), Topics.BootstrapUserName, string.Empty,
                    keepAlive: 120);
                var (header, body) = await session.ReadPacketAsync();
                Assert.Equal(0x20, header);
                if (body[1] == 0)
                {
                    accepted++;
                }
                else
                {
                    refusedSessions++;
                }
            }

            for (var i = 0; i < Pending + 50; i++)
            {
                held.Add(await RawMqtt.OpenAsync(portal.MqttPort, Address(round, 20, i)));
            }

            foreach (var evicted in fromOne.Take(PerAddress))
            {
                await evicted.WaitClosedAsync();   // the oldest silent ones made room for the newer
            }

            var pendingAtMost = budget.Counts.Pending;
            if (meanwhile is not null)
            {
                await meanwhile();
            }

            return new FloodResult(pendingFromOne, accepted, refusedSessions, pendingAtMost);
        }
        finally
        {
            foreach (var socket in held)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static IPAddress Address(int round, int block, int i) => new([127, (byte)(round * 40 + block),
        (byte)(i / 250), (byte)(1 + (i % 250))]);

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }

    private sealed record FloodResult(int PendingFromOneAddress, int BootstrapAccepted, int BootstrapRefused,
        int PendingAtMost);
}
