using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// MQTT 3.1.1 written byte by byte on a plain socket, for what no well-behaved client library sends: idle sockets,
/// oversized announcements, QoS 2 re-sends before PUBREL.
/// </summary>
public sealed class RawMqtt : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawMqtt(Socket socket) => _socket = socket;

    /// <summary>
    /// Opens a TCP connection to the broker, from <paramref name="local"/> (any 127.x address) if given.
    /// </summary>
    public static async Task<RawMqtt> OpenAsync(int port, IPAddress? local = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (local is not null)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
            return new RawMqtt(socket);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The broker accepted and reset it before the connect call returned: closed on accept.
            return new RawMqtt(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Sends a 3.1.1 CONNECT with user name and password.</summary>
    public Task ConnectAsync(string clientId, string user, string password, ushort keepAlive = 30)
    {
        var body = new List<byte>();
        body.AddRange(Utf8("MQTT"));
        body.Add(4);            // protocol level 3.1.1
        body.Add(0xC2);         // user name, password, clean session
        body.Add((byte)(keepAlive >> 8));
        body.Add((byte)keepAlive);
        body.AddRange(Utf8(clientId));
        body.AddRange(Utf8(user));
        body.AddRange(Utf8(password));
        return SendAsync(Packet(0x10, [.. body]));
    }

    /// <summary>Sends a QoS 2 PUBLISH with the given packet identifier (and the DUP flag when re-sent).</summary>
    public Task PublishQos2Async(string topic, byte[] payload, ushort packetId, bool dup)
    {
        byte[] body = [.. Utf8(topic), (byte)(packetId >> 8), (byte)packetId, .. payload];
        return SendAsync(Packet((byte)(0x34 | (dup ? 0x08 : 0)), body));
    }

    public Task PubRelAsync(ushort packetId) => SendAsync([0x62, 0x02, (byte)(packetId >> 8), (byte)packetId]);

    /// <summary>Reads one whole packet (fixed header byte and body).</summary>
    public async Task<(byte Header, byte[] Body)> ReadPacketAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        var header = (await ReadExactlyAsync(1, cts.Token))[0];
        int length = 0, shift = 0;
        byte b;
        do
        {
            b = (await ReadExactlyAsync(1, cts.Token))[0];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return (header, await ReadExactlyAsync(length, cts.Token));
    }

    /// <summary>Completes when the broker has closed the connection (end of stream or reset).</summary>
    public async Task WaitClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        if (!_socket.Connected)
        {
            return;
        }

        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // reset: closed too
        }
    }

    /// <summary>
    /// Sends <paramref name="total"/> bytes in chunks until done or the broker closes; returns how many went.
    /// </summary>
    public async Task<long> SendUntilClosedAsync(long total)
    {
        var chunk = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (sent < total)
            {
                sent += await _socket.SendAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, total - sent)),
                    SocketFlags.None);
            }
        }
        catch (SocketException)
        {
        }

        return sent;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A packet: fixed header byte, remaining length, body.</summary>
    public static byte[] Packet(byte header, byte[] body) => [header, .. RemainingLength(body.Length), .. body];

    /// <summary>MQTT's variable-length encoding of a remaining length.</summary>
    public static byte[] RemainingLength(int length)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(length % 128);
            length /= 128;
            bytes.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);
        return [.. bytes];
    }

    private static byte[] Utf8(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException("the broker closed the connection");
            }

            read += n;
        }

        return buffer;
    }
}
