namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Fleet-wide update settings, one row (<see cref="SingletonId"/>). A table rather than configuration
/// because operators change these from the UI and the API while the portal runs, and each change is
/// audited; deploy-time limits (import size, timeout) are in <see cref="UpdateOptions"/>.
/// </summary>
public sealed class UpdateSettings
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    /// <summary>The stream of devices that neither they nor their group override.</summary>
    public string DefaultStream { get; set; } = "stable";

    /// <summary><see cref="RolloutGuard"/> halts a release when more than this share of reports are failures …</summary>
    public int FailureThresholdPercent { get; set; } = 20;

    /// <summary>… once at least this many devices have reported on it.</summary>
    public int FailureMinimumSample { get; set; } = 5;

    public DateTimeOffset? UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }
}
