using System.Diagnostics.Metrics;

namespace Fleet.Portal.Features.Health;

/// <summary>
/// Meter <c>Fleet.Ingest</c>: what happened to health reports that were not stored as sent, by reason,
/// so an operator can tell a misbehaving device from a misconfigured fleet without reading logs; and how
/// busy the single ingest writer is (batch sizes and stage times), the first thing to look at when
/// devices wait for acknowledgements.
/// </summary>
public sealed class IngestMetrics
{
    public const string MeterName = "Fleet.Ingest";

    private readonly Counter<long> _rejected;
    private readonly Counter<long> _valuesDropped;
    private readonly Counter<long> _stored;
    private readonly Histogram<double> _commitLatency;
    private readonly Histogram<double> _batchStage;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _messageLatency;

    public IngestMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _rejected = meter.CreateCounter<long>("fleet.ingest.health.rejected", "{report}", "Health reports not stored, by reason");
        _valuesDropped = meter.CreateCounter<long>("fleet.ingest.health.values_adjusted", "{value}", "Values dropped or clamped in stored reports, by field and reason");
        _stored = meter.CreateCounter<long>("fleet.ingest.health.stored", "{report}", "Health reports handed to the database");
        _commitLatency = meter.CreateHistogram<double>("fleet.ingest.health.commit_latency", "ms", "From the broker receiving a health report to its batch committing");
        _batchStage = meter.CreateHistogram<double>(BatchStageName, "ms", "Time the single ingest writer spent on one batch, by stage: apply (preload and handle), commit (save and commit), finish (acknowledge, reply, notify)");
        _batchSize = meter.CreateHistogram<long>("fleet.ingest.batch.size", "{message}", "Messages per ingest batch");
        _messageLatency = meter.CreateHistogram<double>(MessageLatencyName, "ms", "From the broker receiving a device message to its batch committing (acknowledged), by kind");
    }

    public const string BatchStageName = "fleet.ingest.batch.duration";

    public const string MessageLatencyName = "fleet.ingest.commit_latency";

    /// <summary>One message committed (any kind but health, which has its own histogram).</summary>
    public void MessageCommitted(string kind, TimeSpan sinceReceived) =>
        _messageLatency.Record(sinceReceived.TotalMilliseconds, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>One batch's stages; their sum over time is how busy the single writer is.</summary>
    public void Batch(int size, TimeSpan apply, TimeSpan commit, TimeSpan finish)
    {
        _batchSize.Record(size);
        _batchStage.Record(apply.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "apply"));
        _batchStage.Record(commit.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "commit"));
        _batchStage.Record(finish.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "finish"));
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Adjusted(string field, string reason) =>
        _valuesDropped.Add(1, new KeyValuePair<string, object?>("field", field), new KeyValuePair<string, object?>("reason", reason));

    public void Stored(int count) => _stored.Add(count);

    public void Committed(TimeSpan sinceReceived) => _commitLatency.Record(sinceReceived.TotalMilliseconds);
}
