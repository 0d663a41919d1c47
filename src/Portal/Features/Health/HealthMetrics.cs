using System.Diagnostics.Metrics;
using Fleet.Portal.Ingest;

namespace Fleet.Portal.Features.Health;

/// <summary>
/// Health reports on meter <c>Fleet.Ingest</c>: what happened to those not stored as sent, by reason, so an operator
/// can tell a misbehaving device from a misconfigured fleet without reading logs, and how long stored ones took.
/// </summary>
public sealed class HealthMetrics
{
    public const string CommitLatencyName = "fleet.ingest.health.commit_latency";

    private readonly Counter<long> _rejected;
    private readonly Counter<long> _valuesDropped;
    private readonly Counter<long> _stored;
    private readonly Histogram<double> _commitLatency;

    public HealthMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(IngestMetrics.MeterName);
        _rejected = meter.CreateCounter<long>("fleet.ingest.health.rejected", "{report}",
            "Health reports not stored, by reason");
        _valuesDropped = meter.CreateCounter<long>("fleet.ingest.health.values_adjusted", "{value}",
            "Values dropped or clamped in stored reports, by field and reason");
        _stored = meter.CreateCounter<long>("fleet.ingest.health.stored", "{report}",
            "Health reports handed to the database");
        _commitLatency = meter.CreateHistogram<double>(CommitLatencyName, "ms",
            "From the broker receiving a health report to its batch committing");
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Adjusted(string field, string reason) =>
        _valuesDropped.Add(1, new KeyValuePair<string, object?>("field", field),
            new KeyValuePair<string, object?>("reason", reason));

    public void Stored(int count) => _stored.Add(count);

    public void Committed(TimeSpan sinceReceived) => _commitLatency.Record(sinceReceived.TotalMilliseconds);
}
