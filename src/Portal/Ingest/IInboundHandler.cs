using Fleet.Portal.Messaging;

namespace Fleet.Portal.Ingest;

/// <summary>
/// Applies one kind of inbound message (or a few related ones) to the batch it arrives in. Each feature that owns a
/// kind registers its handler (<see cref="IngestServiceCollectionExtensions.AddInboundHandler{T}"/>); handlers are
/// scoped, one instance per batch, and a kind handled by several features runs them in registration order. Nothing is
/// written until the pipeline commits the batch: replies and session endings wait in the <see cref="IngestBatch"/>.
/// </summary>
internal interface IInboundHandler
{
    /// <summary>The kinds this handler applies.</summary>
    IReadOnlyCollection<InboundKind> Kinds { get; }

    /// <summary>
    /// Whether the device a message names (its id is a device id) is loaded, tracked, with the rest of the batch's
    /// devices in one query before any handler runs.
    /// </summary>
    bool LoadsDevice => true;

    /// <summary>
    /// Entity types this handler adds (and, in <see cref="BulkUpdates"/>, changes) by the hundred in a batch: the
    /// pipeline writes those through prepared statements (<see cref="Data.PreparedWrites"/>), the rest through
    /// <c>SaveChanges</c>.
    /// </summary>
    IReadOnlyCollection<Type> BulkInserts => [];

    /// <inheritdoc cref="BulkInserts"/>
    IReadOnlyCollection<Type> BulkUpdates => [];

    /// <summary>Loads what this handler's messages of the batch need, in a few queries for all of them.</summary>
    Task PreloadAsync(IReadOnlyList<InboundMessage> messages, IngestBatch batch, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken);

    /// <summary>In the batch's transaction, after its tracked changes are saved: rows written outside EF.</summary>
    Task SavedAsync(IngestBatch batch, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After the commit, before the messages are acknowledged: a device whose report was acknowledged can count on
    /// its consequences having been seen. A failure here is logged; the batch stays committed.
    /// </summary>
    Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken) => Task.CompletedTask;
}
