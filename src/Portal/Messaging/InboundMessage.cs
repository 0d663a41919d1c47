using Fleet.Shared;

namespace Fleet.Portal.Messaging;

/// <summary>
/// What a message in the ingest queue is: a device topic (<see cref="Of"/>), or an event the broker or a timer raised
/// (<see cref="ConnectionLost"/>, or one a feature defines). Handlers register for kinds, so a new kind needs no
/// change here.
/// </summary>
internal readonly record struct InboundKind(string Name, bool FromDevice)
{
    private static readonly InboundKind[] ByTopic =
        [.. Enum.GetValues<TopicKind>().Select(k => new InboundKind(k.ToString(), FromDevice: true))];

    /// <summary>The broker saw a device's connection end (not a takeover by its own reconnect).</summary>
    public static readonly InboundKind ConnectionLost = new(nameof(ConnectionLost), FromDevice: false);

    /// <summary>Messages a device publishes on its <paramref name="topic"/> kind.</summary>
    public static InboundKind Of(TopicKind topic) => ByTopic[(int)topic];

    public override string ToString() => Name;
}

/// <summary>
/// One unit of work for the ingest pipeline. The broker acknowledges a QoS 1 publish only after
/// <see cref="Completion"/> is set, which happens after the batch holding it is committed: an
/// acknowledged message is never lost, and a slow database slows publishers down instead of
/// growing memory.
/// </summary>
internal sealed class InboundMessage(InboundKind kind, string id, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt)
{
    public InboundKind Kind { get; } = kind;

    /// <summary>Enrolment id (enrolment requests) or device id (everything else); empty for a timer's event.</summary>
    public string Id { get; } = id;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>IP address of the client that sent it, as the broker saw it.</summary>
    public string? Address { get; init; }

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
