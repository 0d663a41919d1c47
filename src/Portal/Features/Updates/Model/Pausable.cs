namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Something updates can be paused for: a stream, a group or a device. A pause holds from
/// <see cref="PausedAt"/> until <see cref="PausedUntil"/> (or until lifted when that is null); an
/// expired pause is ignored without anyone having to clear it.
/// </summary>
public interface IPausable
{
    DateTimeOffset? PausedAt { get; set; }

    DateTimeOffset? PausedUntil { get; set; }

    string? PauseReason { get; set; }

    string? PausedBy { get; set; }
}

public static class Pause
{
    public const int MaxReasonLength = 500;

    public static bool IsActive(IPausable target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.PausedAt is not null && (target.PausedUntil is null || target.PausedUntil > now);
    }

    public static void Set(IPausable target, string reason, DateTimeOffset? until, string by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.PausedAt = now;
        target.PausedUntil = until;
        target.PauseReason = reason;
        target.PausedBy = by;
    }

    public static void Clear(IPausable target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.PausedAt = null;
        target.PausedUntil = null;
        target.PauseReason = null;
        target.PausedBy = null;
    }

    /// <summary>For the audit log and the UI: "paused until … (reason)" or "not paused".</summary>
    public static string Describe(IPausable target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.PausedAt is null)
        {
            return "not paused";
        }

        var until = target.PausedUntil is { } u ? $" until {u:u}" : " until lifted";
        return IsActive(target, now) ? $"paused{until} ({target.PauseReason})" : $"pause expired {target.PausedUntil:u}";
    }
}
