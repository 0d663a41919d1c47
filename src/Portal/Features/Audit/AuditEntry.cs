namespace Fleet.Portal.Features.Audit;

/// <summary>One change (or refused attempt at one). Rows are only ever inserted: the database refuses updates and deletes.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>User name, API client id, device id or "system".</summary>
    public required string Actor { get; set; }

    public string? ActorRole { get; set; }

    public AuditSource Source { get; set; }

    /// <summary>What was done, as <c>entity.verb</c>: <c>device.approve</c>, <c>user.create</c>.</summary>
    public required string Action { get; set; }

    public required string EntityType { get; set; }

    public string? EntityId { get; set; }

    /// <summary>Short human-readable summary of the entity before the change.</summary>
    public string? Before { get; set; }

    /// <summary>Short human-readable summary after the change.</summary>
    public string? After { get; set; }

    public AuditOutcome Outcome { get; set; }

    /// <summary>Why it was denied or failed, or anything else worth keeping.</summary>
    public string? Detail { get; set; }

    public string? RemoteAddress { get; set; }
}

public enum AuditSource
{
    Ui,
    Api,
    Device,
    System,
}

/// <summary>How people read an <see cref="AuditSource"/>; the API and the CSV keep the enum names.</summary>
public static class AuditSourceLabels
{
    public static string Label(this AuditSource source) => source switch
    {
        AuditSource.Ui => "UI",
        AuditSource.Api => "API",
        AuditSource.Device => "Device",
        _ => "System",
    };
}

public enum AuditOutcome
{
    Succeeded,
    Denied,
    Failed,
}
