using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Alerts;

/// <summary>The numbers of a device's latest health report the rules look at (a projection of its latest state).
/// </summary>
public sealed record AlertReading(
    double? MemoryPercent, double? DiskPercent, string? FullestMount, double? TemperatureCelsius, int? FailedUnits,
    DateTimeOffset ReceivedAt);

/// <summary>What a device looks like to the rules: presence from the device row, numbers from its latest report.</summary>
public sealed record AlertSubject(
    Guid DeviceId, string Hostname, int? GroupId, bool IsOnline, DateTimeOffset? LastSeenAt, AlertReading? Health,
    DateTimeOffset? ConnectedAt = null);

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

    /// <summary>
    /// Whether the rule holds, and its value. The sentence is written only when it holds: a condition that does not
    /// hold is never shown, and most evaluations (one per rule for every stored report) end there.
    /// </summary>
    public static AlertCondition Evaluate(AlertRule rule, AlertSubject s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(s);
        var h = s.Health;
        var offline = OfflineMinutes(s, now);
        (bool Holds, double? Value) c = rule.Kind switch
        {
            // Offline is a device that was seen and left: one approved but not yet connected has not gone anywhere,
            // and firing for it would hold the real alert down once it connects and resolves this one.
            AlertKind.Offline =>
                (!s.IsOnline && s.LastSeenAt is not null && offline > rule.Threshold, Rounded(offline)),
            AlertKind.DiskAbove => (h?.DiskPercent > rule.Threshold, Rounded(h?.DiskPercent)),
            AlertKind.TemperatureAbove => (h?.TemperatureCelsius > rule.Threshold, Rounded(h?.TemperatureCelsius)),
            AlertKind.MemoryAbove => (h?.MemoryPercent > rule.Threshold, Rounded(h?.MemoryPercent)),
            AlertKind.FailedUnits => (h?.FailedUnits > 0, h?.FailedUnits),
            AlertKind.NoReportSinceConnect => (s.IsOnline && s.ConnectedAt is { } connected
                && (h is null || h.ReceivedAt < connected) && (now - connected).TotalMinutes > rule.Threshold, null),
            _ => (false, null),
        };
        return new(c.Holds, c.Value, c.Holds ? Describe(rule, s, now) : string.Empty);
    }

    private static string Describe(AlertRule rule, AlertSubject s, DateTimeOffset now)
    {
        var h = s.Health;
        var minutes = OfflineMinutes(s, now);
        return rule.Kind switch
        {
            AlertKind.Offline => $"{s.Hostname} offline for {minutes:0} min (limit {rule.Threshold:0} min)",
            AlertKind.DiskAbove =>
                $"{s.Hostname}: {h?.FullestMount ?? "disk"} {h?.DiskPercent:0.#} % full (limit {rule.Threshold:0.#} %)",
            AlertKind.TemperatureAbove =>
                $"{s.Hostname}: {h?.TemperatureCelsius:0.#} °C (limit {rule.Threshold:0.#} °C)",
            AlertKind.MemoryAbove =>
                $"{s.Hostname}: memory {h?.MemoryPercent:0.#} % used (limit {rule.Threshold:0.#} %)",
            AlertKind.FailedUnits => $"{s.Hostname}: {h?.FailedUnits} failed systemd unit(s)",
            AlertKind.NoReportSinceConnect =>
                $"{s.Hostname}: connected since {s.ConnectedAt:u} but no health report (limit {rule.Threshold:0} min)",
            _ => string.Empty,
        };
    }

    private static double OfflineMinutes(AlertSubject s, DateTimeOffset now) =>
        s.LastSeenAt is { } seen ? (now - seen).TotalMinutes : double.PositiveInfinity;

    private static double? Rounded(double? value) => value is { } v && double.IsFinite(v) ? Math.Round(v, 1) : null;
}
