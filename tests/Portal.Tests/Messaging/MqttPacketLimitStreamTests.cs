using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>The broker's framing check, on bytes as they arrive (whole, or one at a time).</summary>
public sealed class MqttPacketLimitStreamTests
{
    private const int ConnectLimit = 100;
    private const int PacketLimit = 1_000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inspect_ConnectThenPacketsWithinLimits_PassAndConnectSeenOnce(bool byteByByte)
    {
        var (stream, connects) = NewStream();
        byte[] bytes = [.. Packet(0x10, ConnectLimit), .. Packet(0x30, PacketLimit), .. Packet(0xC0, 0),
            .. Packet(0x30, 5)];

        Feed(stream, bytes, byteByByte);

        Assert.Equal(1, connects());
        Assert.Null(stream.Refusal);
        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inspect_ConnectAnnouncing256MiB_RefusedAtItsHeader(bool byteByByte)
    {
        var (stream, connects) = NewStream();
        byte[] header = [0x10, .. RawMqtt.RemainingLength(268_435_455)];

        var ex = Assert.Throws<MqttPacketRefusedException>(() => Feed(stream, header, byteByByte));

        Assert.Contains("CONNECT announces 268435455 bytes, over the 100-byte limit", ex.Message,
            StringComparison.Ordinal);
        Assert.Equal(ex.Message, stream.Refusal);
        Assert.Equal(0, connects());
    }

    [Fact]
    public void Inspect_PacketOneByteOverItsLimit_Refused()
    {
        var (stream, _) = NewStream();
        stream.Inspect(Packet(0x10, 10));

        var ex = Assert.Throws<MqttPacketRefusedException>(() => stream.Inspect(Packet(0x32, PacketLimit + 1)));

        Assert.Contains("packet of type 3 announces 1001 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_FirstPacketNotConnect_Refused()
    {
        var (stream, _) = NewStream();

        var ex = Assert.Throws<MqttPacketRefusedException>(() => stream.Inspect(Packet(0x30, 10)));

        Assert.Contains("not CONNECT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_RemainingLengthOfFiveBytes_RefusedAsMalformed()
    {
        var (stream, _) = NewStream();

        var ex = Assert.Throws<MqttPacketRefusedException>(() => stream.Inspect([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));

        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_OversizedHeader_NothingOfItHandedOn()
    {
        using var inner = new MemoryStream([0x10, .. RawMqtt.RemainingLength(10_000_000)]);
        using var stream = new MqttPacketLimitStream(inner, ConnectLimit, PacketLimit, () => { });
        var buffer = new byte[16];

        await Assert.ThrowsAsync<MqttPacketRefusedException>(() => stream.ReadAsync(buffer,
            TestContext.Current.CancellationToken).AsTask());
    }

    private static (MqttPacketLimitStream Stream, Func<int> Connects) NewStream()
    {
        var connects = 0;
        var stream = new MqttPacketLimitStream(System.IO.Stream.Null, ConnectLimit, PacketLimit, () => connects++);
        return (stream, () => connects);
    }

    private static byte[] Packet(byte header, int bodyLength) => RawMqtt.Packet(header, new byte[bodyLength]);

    private static void Feed(MqttPacketLimitStream stream, byte[] bytes, bool byteByByte)
    {
        if (!byteByByte)
        {
            stream.Inspect(bytes);
            return;
        }

        foreach (var b in bytes)
        {
            stream.Inspect([b]);
        }
    }
}
