using System.Diagnostics.Metrics;

namespace Fleet.Portal.Ingest;

/// <summary>
/// Meter <c>Fleet.Ingest</c>: how busy the single ingest writer is (batch sizes and stage times), the first thing to
/// look at when devices wait for acknowledgements, and how long a device message waits from the broker to its commit.
/// </summary>
public sealed class IngestMetrics
{
    public const string MeterName = "Fleet.Ingest";

    public const string BatchStageName = "fleet.ingest.batch.duration";

    public const string MessageLatencyName = "fleet.ingest.commit_latency";

    private readonly Histogram<double> _batchStage;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _messageLatency;

    public IngestMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _batchStage = meter.CreateHistogram<double>(BatchStageName, "ms",
            "Time the single ingest writer spent on one batch, by stage: apply (preload and handle), "
            + "commit (save and commit), finish (acknowledge, reply, notify)");
        _batchSize = meter.CreateHistogram<long>("fleet.ingest.batch.size", "{message}", "Messages per ingest batch");
        _messageLatency = meter.CreateHistogram<double>(MessageLatencyName, "ms",
            "From the broker receiving a device message to its batch committing (acknowledged), by kind");
    }

    /// <summary>One device message committed.</summary>
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
}
