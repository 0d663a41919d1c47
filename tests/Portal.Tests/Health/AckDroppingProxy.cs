using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Portal.Tests.Health;

/// <summary>
/// A loopback TCP proxy between an MQTT client and the broker that reads the MQTT packets it forwards. Armed with
/// <see cref="LoseNextHealthAckAsync"/>, it forwards the next health PUBLISH, waits for the broker's PUBACK (sent once
/// the portal committed the report) and, instead of forwarding it, cuts both connections: the client never learns the
/// report was stored. Every health PUBLISH payload that passes is recorded.
/// </summary>
public sealed class AckDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _brokerPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;
    private TaskCompletionSource<byte[]>? _lose;
    private byte[]? _losing;
    private int _losingPacketId = -1;

    public AckDroppingProxy(int brokerPort)
    {
        _brokerPort = brokerPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every health PUBLISH payload the client sent through the proxy, in order.</summary>
    public ConcurrentQueue<byte[]> HealthPublished { get; } = new();

    /// <summary>Completes with the payload of the report whose PUBACK was withheld, once both sides are cut.</summary>
    public Task<byte[]> LoseNextHealthAckAsync()
    {
        var lose = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _lose, lose);
        return lose.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _accepting.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var broker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(client);
            _sockets.Add(broker);
            try
            {
                await broker.ConnectAsync(IPAddress.Loopback, _brokerPort, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                client.Dispose();   // the broker is not listening: the client sees the connection refused
                broker.Dispose();
                continue;
            }

            var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _ = Task.WhenAll(
                    PumpAsync(client, broker, toBroker: true, connection),
                    PumpAsync(broker, client, toBroker: false, connection))
                .ContinueWith(_ => connection.Dispose(), TaskScheduler.Default);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool toBroker, CancellationTokenSource connection)
    {
        try
        {
            while (await ReadPacketAsync(from, connection.Token) is { } packet)
            {
                if (toBroker)
                {
                    Inspect(packet);
                }
                else if (IsWithheldPubAck(packet))
                {
                    Cut(from, to, connection);
                    Interlocked.Exchange(ref _lose, null)?.TrySetResult(_losing!);
                    return;
                }

                await to.SendAsync(packet, SocketFlags.None, connection.Token);
            }
        }
        catch (Exception ex)
            when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // One side went away; the other follows.
        }

        Cut(from, to, connection);
    }

    /// <summary>A client PUBLISH to a health topic: recorded; the first one after arming is the one to lose.</summary>
    private void Inspect(byte[] packet)
    {
        if (packet[0] >> 4 != 3)
        {
            return;
        }

        var body = packet.AsSpan(HeaderLength(packet));
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        var topic = Encoding.UTF8.GetString(body.Slice(2, topicLength));
        if (!topic.EndsWith("/health", StringComparison.Ordinal) || ((packet[0] >> 1) & 3) == 0)
        {
            return;
        }

        var packetId = BinaryPrimitives.ReadUInt16BigEndian(body[(2 + topicLength)..]);
        var rest = body[(4 + topicLength)..];
        var propertiesLength = ReadVariableInt(rest, out var lengthBytes);
        var payload = rest[(lengthBytes + propertiesLength)..].ToArray();
        HealthPublished.Enqueue(payload);
        if (Volatile.Read(ref _lose) is not null && _losing is null)
        {
            _losing = payload;
            Volatile.Write(ref _losingPacketId, packetId);
        }
    }

    /// <summary>The broker's PUBACK of the report to lose: withheld once, then everything is forwarded again.</summary>
    private bool IsWithheldPubAck(byte[] packet) =>
        packet[0] >> 4 == 4 && Volatile.Read(ref _losingPacketId) is >= 0 and var id
        && BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(HeaderLength(packet))) == id
        && Interlocked.CompareExchange(ref _losingPacketId, -1, id) == id;

    private static void Cut(Socket a, Socket b, CancellationTokenSource connection)
    {
        foreach (var socket in new[] { a, b })
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);   // RST: as abrupt as a crash
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
                // Already closed by the other pump.
            }
        }

        connection.Cancel();
    }

    /// <summary>One whole MQTT packet (fixed header, remaining length, body); null at the end of the stream.</summary>
    private static async Task<byte[]?> ReadPacketAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        if (!await ReadExactlyAsync(socket, header.AsMemory(0, 1), cancellationToken))
        {
            return null;
        }

        var used = 1;
        int length = 0, shift = 0;
        do
        {
            if (!await ReadExactlyAsync(socket, header.AsMemory(used, 1), cancellationToken))
            {
                return null;
            }

            length |= (header[used] & 0x7F) << shift;
            shift += 7;
        }
        while ((header[used++] & 0x80) != 0);

        var packet = new byte[used + length];
        header.AsSpan(0, used).CopyTo(packet);
        return await ReadExactlyAsync(socket, packet.AsMemory(used), cancellationToken) ? packet : null;
    }

    private static async Task<bool> ReadExactlyAsync(
        Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    private static int HeaderLength(byte[] packet)
    {
        var used = 1;
        while ((packet[used++] & 0x80) != 0)
        {
        }

        return used;
    }

    private static int ReadVariableInt(ReadOnlySpan<byte> span, out int bytes)
    {
        int value = 0, shift = 0;
        bytes = 0;
        byte b;
        do
        {
            b = span[bytes++];
            value |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        return value;
    }
}
