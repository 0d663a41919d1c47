using Fleet.Shared;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Takes one kind of device message that is never stored (a browser terminal's output) from the broker, in place of
/// the ingest queue: the message is handed over at once and acknowledged when taken, so that a shell's output costs
/// the database nothing and waits for no batch. The feature that owns the kind registers its sink.
/// </summary>
internal interface ILiveMessageSink
{
    /// <summary>The kind of topic this sink takes.</summary>
    TopicKind Kind { get; }

    /// <summary>
    /// Takes one message that passed the broker's checks (the client's own topic, size, rate). False when it was
    /// dropped (the sink logs why): the publisher gets a refusing PUBACK.
    /// </summary>
    bool TryAccept(ParsedTopic topic, byte[] payload);
}
