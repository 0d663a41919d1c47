using Fleet.Portal.Data;
using Fleet.Portal.Features.Health;

namespace Fleet.Portal.Features.Alerts;

/// <summary>What a device looks like to the rules: presence from the device row, numbers from its latest report.</summary>
public sealed record AlertSubject(Guid DeviceId, string Hostname, int? GroupId, bool IsOnline, DateTimeOffset? LastSeenAt, DeviceHealth? Health, DateTimeOffset? ConnectedAt = null);

/// <summary>Whether a rule's condition holds for a device, with the value and a sentence for people.</summary>
public sealed record AlertCondition(bool Holds, double? Value, string Message);

/// <summary>The rules as pure functions of a device and the time: the engine decides what to store.</summary>
public static class AlertEvaluator
{
    public static bool AppliesTo(AlertRule rule, AlertSubject subject)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(subject);
        return rule.Enabled && (rule.GroupId is null || rule.GroupId == (subject.GroupId ?? Updates.DeviceGroup.DefaultId));
    }

    /// <summary>Rules decided by the clock (the timer evaluates these) rather than by a report arriving.</summary>
    public static bool IsTimeBased(AlertKind kind) => kind is AlertKind.Offline or AlertKind.NoReportSinceConnect;

    public static AlertCondition Evaluate(AlertRule rule, AlertSubject s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(s);
        var h = s.Health;
        switch (rule.Kind)
        {
            case AlertKind.Offline:
                var minutes = s.LastSeenAt is { } seen ? (now - seen).TotalMinutes : double.PositiveInfinity;
                return new(!s.IsOnline && minutes > rule.Threshold, double.IsFinite(minutes) ? Math.Round(minutes, 1) : null,
                    $"{s.Hostname} offline for {(double.IsFinite(minutes) ? $"{minutes:0} min" : "ever")} (limit {rule.Threshold:0} min)");
            case AlertKind.DiskAbove:
                return Above(h?.DiskPercent, rule.Threshold, $"{s.Hostname}: {h?.FullestMount ?? "disk"} {h?.DiskPercent:0.#} % full (limit {rule.Threshold:0.#} %)");
            case AlertKind.TemperatureAbove:
                return Above(h?.TemperatureCelsius, rule.Threshold, $"{s.Hostname}: {h?.TemperatureCelsius:0.#} °C (limit {rule.Threshold:0.#} °C)");
            case AlertKind.MemoryAbove:
                return Above(h?.MemoryPercent, rule.Threshold, $"{s.Hostname}: memory {h?.MemoryPercent:0.#} % used (limit {rule.Threshold:0.#} %)");
            case AlertKind.FailedUnits:
                return new(h?.FailedUnits > 0, h?.FailedUnits, $"{s.Hostname}: {h?.FailedUnits} failed systemd unit(s)");
            case AlertKind.NoReportSinceConnect:
                var silent = s.IsOnline && s.ConnectedAt is { } connected && (h is null || h.ReceivedAt < connected)
                    && (now - connected).TotalMinutes > rule.Threshold;
                return new(silent, null, $"{s.Hostname}: connected since {s.ConnectedAt:u} but no health report (limit {rule.Threshold:0} min)");
            default:
                return new(false, null, string.Empty);
        }
    }

    private static AlertCondition Above(double? value, double threshold, string message) =>
        new(value > threshold, value is { } v ? Math.Round(v, 1) : null, message);
}
