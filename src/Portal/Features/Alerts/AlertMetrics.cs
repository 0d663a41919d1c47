using System.Diagnostics.Metrics;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// Alert evaluation on meter <c>Fleet.Alerts</c>: how long each pass over the rules took and how many devices it
/// covered, so the cost of alerting per health report can be read next to the ingest's own.
/// </summary>
public sealed class AlertMetrics
{
    public const string MeterName = "Fleet.Alerts";
    public const string EvaluationName = "fleet.alerts.evaluation.duration";

    private readonly Histogram<double> _evaluation;
    private readonly Counter<long> _devices;

    public AlertMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _evaluation = meter.CreateHistogram<double>(EvaluationName, "ms",
            "One evaluation pass: report rules for the devices of committed batches, or clock rules over the fleet");
        _devices = meter.CreateCounter<long>("fleet.alerts.evaluated_devices", "{device}",
            "Devices the passes evaluated");
    }

    /// <summary>Records a pass; <paramref name="rules"/> is <c>report</c> or <c>clock</c>.</summary>
    public void Evaluated(string rules, int devices, TimeSpan took)
    {
        var tag = new KeyValuePair<string, object?>("rules", rules);
        _evaluation.Record(took.TotalMilliseconds, tag);
        _devices.Add(devices, tag);
    }
}
