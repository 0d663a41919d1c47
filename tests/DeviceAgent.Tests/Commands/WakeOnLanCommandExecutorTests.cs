using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.DeviceAgent.Commands;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Commands;

/// <summary>
/// The Wake-on-LAN executor against a real UDP socket on loopback: a valid command sends one 102-byte magic packet
/// (6 × 0xFF, the MAC 16 times) to the address and port it names; bad arguments are refused with the reason and send
/// nothing (proved by a marker packet sent after them arriving first).
/// </summary>
public sealed class WakeOnLanCommandExecutorTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExecuteAsync_ValidCommand_ListenerReceivesMagicPacketForTheMac()
    {
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var executor = new WakeOnLanCommandExecutor();

        var outcome = await executor.ExecuteAsync(Command("52-54-00-AB-CD-EF", "127.0.0.1", Port(listener)), Token);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Contains("magic packet for 52:54:00:ab:cd:ef", outcome.Detail, StringComparison.Ordinal);
        var packet = (await ReceiveAsync(listener)).Buffer;
        Assert.Equal(WakeOnLanCommandExecutor.PacketLength, packet.Length);
        Assert.All(packet[..6], b => Assert.Equal(0xFF, b));
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal("52:54:00:ab:cd:ef", MacAddress.Format(packet.AsSpan(6 + (i * 6), 6)));
        }
    }

    [Theory]
    [InlineData(null, "127.0.0.1", "mac")]
    [InlineData("52:54:00:ab:cd", "127.0.0.1", "mac")]
    [InlineData("52:54:00:ab:cd:ef", "::1", "address")]
    [InlineData("52:54:00:ab:cd:ef", "broadcast", "address")]
    [InlineData("52:54:00:ab:cd:ef", "127.0.0.1", "port", "0")]
    [InlineData("52:54:00:ab:cd:ef", "127.0.0.1", "port", "65536")]
    [InlineData("52:54:00:ab:cd:ef", "127.0.0.1", "port", "nine")]
    public async Task ExecuteAsync_BadArgument_RefusedWithReasonAndNothingSent(
        string? mac, string address, string argument, string? port = null)
    {
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var executor = new WakeOnLanCommandExecutor();
        var arguments = new Dictionary<string, string> { [CommandArguments.Address] = address };
        if (mac is not null)
        {
            arguments[CommandArguments.Mac] = mac;
        }

        arguments[CommandArguments.Port] = port ?? Port(listener).ToString(CultureInfo.InvariantCulture);
        var outcome = await executor.ExecuteAsync(
            new CommandRequest("c1", CommandKinds.WakeOnLan, DateTimeOffset.UtcNow.AddMinutes(5), arguments), Token);

        Assert.False(outcome.Succeeded);
        Assert.StartsWith($"Refused: {argument}: ", outcome.Detail, StringComparison.Ordinal);

        // The first datagram to arrive is the marker sent afterwards: the refused command sent nothing.
        await executor.ExecuteAsync(Command("02:00:00:00:00:01", "127.0.0.1", Port(listener)), Token);
        var first = (await ReceiveAsync(listener)).Buffer;
        Assert.Equal("02:00:00:00:00:01", MacAddress.Format(first.AsSpan(6, 6)));
    }

    private static CommandRequest Command(string mac, string address, int port) => new(
        "wake-1",
        CommandKinds.WakeOnLan,
        DateTimeOffset.UtcNow.AddMinutes(5),
        new Dictionary<string, string>
        {
            [CommandArguments.Mac] = mac,
            [CommandArguments.Address] = address,
            [CommandArguments.Port] = port.ToString(CultureInfo.InvariantCulture),
        });

    private static int Port(UdpClient listener) => ((IPEndPoint)listener.Client.LocalEndPoint!).Port;

    private static async Task<UdpReceiveResult> ReceiveAsync(UdpClient listener)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await listener.ReceiveAsync(timeout.Token);
    }
}
