namespace Fleet.Portal.Features.Alerts;

/// <summary>How people see a kind: its label, the unit and range of its threshold, and a sensible default.</summary>
public sealed record AlertKindInfo(string Label, string Unit, double DefaultThreshold, double Min, double Max)
{
    /// <summary>Failed units and config rendering have no threshold.</summary>
    public bool HasThreshold => Unit.Length > 0;
}

/// <summary>What each <see cref="AlertKind"/> means to the UI, the API's validation and the docs.</summary>
public static class AlertKinds
{
    private static readonly Dictionary<AlertKind, AlertKindInfo> Info = new()
    {
        [AlertKind.Offline] = new("Offline longer than", "minutes", 15, 0, 525_600),
        [AlertKind.DiskAbove] = new("Disk above", "%", 90, 0, 100),
        [AlertKind.MemoryAbove] = new("Memory above", "%", 90, 0, 100),
        [AlertKind.TemperatureAbove] = new("Temperature above", "°C", 80, -50, 150),
        [AlertKind.FailedUnits] = new("Failed systemd units", "", 0, 0, 0),
        [AlertKind.NoReportSinceConnect] = new("Connected without reporting for", "minutes", 10, 0, 525_600),
        [AlertKind.ConfigCannotRender] = new("Config cannot render", "", 0, 0, 0),
    };

    public static AlertKindInfo Of(AlertKind kind) => Info[kind];

    public static string Label(this AlertKind kind) => Info[kind].Label;

    /// <summary>"90 %", "15 minutes", "–" when the kind has no threshold.</summary>
    public static string Threshold(AlertKind kind, double threshold) =>
        Info[kind] is { HasThreshold: true } i
            ? $"{threshold.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} {i.Unit}"
            : "–";

    /// <summary>Kinds another feature raises and resolves; the engine does not evaluate them.</summary>
    public static bool IsRaisedByCaller(AlertKind kind) => kind is AlertKind.ConfigCannotRender;

    /// <summary>The rules a new install starts with (created once; deleting one is final).</summary>
    public static IReadOnlyList<AlertRuleInput> Defaults { get; } =
    [
        new("Device offline", AlertKind.Offline, 15, AlertSeverity.Warning, null),
        new("Disk almost full", AlertKind.DiskAbove, 90, AlertSeverity.Critical, null),
        new("Memory almost full", AlertKind.MemoryAbove, 90, AlertSeverity.Warning, null),
        new("Running hot", AlertKind.TemperatureAbove, 80, AlertSeverity.Warning, null),
        new("Failed systemd units", AlertKind.FailedUnits, 0, AlertSeverity.Warning, null),
        new("Config cannot render", AlertKind.ConfigCannotRender, 0, AlertSeverity.Warning, null),
    ];
}
