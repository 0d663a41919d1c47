namespace Fleet.Portal.Messaging;

/// <summary>What reaches the ingest pipeline: a device message, or an event the broker or a timer raised.</summary>
internal enum InboundKind
{
    EnrollmentRequest,
    Heartbeat,
    Status,
    Deployments,
    Health,
    ConfigReport,
    ConnectionLost,
    PresenceSweep,
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

    /// <summary>Enrolment id (enrolment requests) or device id (everything else); empty for a sweep.</summary>
    public string Id { get; } = id;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>IP address of the client that sent it, as the broker saw it.</summary>
    public string? Address { get; init; }

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
