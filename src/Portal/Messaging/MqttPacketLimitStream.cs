namespace Fleet.Portal.Messaging;

/// <summary>
/// The broker's side of one TCP connection, reading MQTT's framing as the bytes pass: every packet's fixed header
/// (type byte and remaining length) is checked against the limit before the bytes reach MQTTnet, which would otherwise
/// allocate whatever length a client announces (up to 256 MiB) and read it whole before looking at it. The first
/// packet must be a CONNECT no larger than <c>connectLimit</c>; every later one must fit <c>packetLimit</c>. A
/// packet over its limit ends the connection with <see cref="MqttPacketRefusedException"/>; nothing of it is handed on.
/// Only the header bytes are looked at: a body is skipped by arithmetic, not byte by byte.
/// </summary>
internal sealed class MqttPacketLimitStream(Stream inner, int connectLimit, int packetLimit, Action onConnectReceived)
    : Stream
{
    private const int ConnectPacketType = 1;

    private long _bodyLeft;
    private int _lengthBytes = -1;   // -1: the next byte starts a packet; 0-3: remaining-length bytes read so far
    private int _length;
    private int _type;
    private long _packets;

    /// <summary>Bytes read from the client so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Why the connection was refused, once a packet broke a limit.</summary>
    public string? Refusal { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Inspect(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Inspect(buffer.Span[..read]);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Follows the framing through <paramref name="data"/>; throws on the first header over its limit.
    /// </summary>
    internal void Inspect(ReadOnlySpan<byte> data)
    {
        BytesRead += data.Length;
        var i = 0;
        while (i < data.Length)
        {
            if (_bodyLeft > 0)
            {
                var skipped = (int)Math.Min(_bodyLeft, data.Length - i);
                _bodyLeft -= skipped;
                i += skipped;
                if (_bodyLeft == 0)
                {
                    PacketEnded();
                }

                continue;
            }

            var b = data[i++];
            if (_lengthBytes < 0)
            {
                _type = b >> 4;
                if (_packets == 0 && _type != ConnectPacketType)
                {
                    throw Refuse($"the first packet is of type {_type}, not CONNECT");
                }

                (_lengthBytes, _length) = (0, 0);
                continue;
            }

            _length |= (b & 0x7F) << (7 * _lengthBytes);
            _lengthBytes++;
            if ((b & 0x80) != 0)
            {
                if (_lengthBytes == 4)
                {
                    throw Refuse("malformed remaining length (more than four bytes)");
                }

                continue;
            }

            var limit = _packets == 0 ? connectLimit : packetLimit;
            if (_length > limit)
            {
                throw Refuse(
                    $"{(_packets == 0 ? "CONNECT" : $"packet of type {_type}")} announces {_length} bytes, "
                    + $"over the {limit}-byte limit");
            }

            (_bodyLeft, _lengthBytes) = (_length, -1);
            if (_bodyLeft == 0)
            {
                PacketEnded();
            }
        }
    }

    private MqttPacketRefusedException Refuse(string reason)
    {
        Refusal = reason;
        return new MqttPacketRefusedException(reason);
    }

    private void PacketEnded()
    {
        if (_packets++ == 0)
        {
            onConnectReceived();
        }
    }
}

/// <summary>A client broke the broker's framing limits; its connection is closed.</summary>
internal sealed class MqttPacketRefusedException(string message) : IOException(message);
