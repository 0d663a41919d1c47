using System.Text.Json.Serialization;

namespace Fleet.Portal.Features.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<ChannelKind>))]
public enum ChannelKind
{
    /// <summary>An HTTPS POST of a JSON body signed with HMAC-SHA256.</summary>
    Webhook,

    /// <summary>An e-mail through the SMTP server of <c>Fleet:Alerts</c>.</summary>
    Email,
}

/// <summary>Where alert notifications go; rules name the channels they notify.</summary>
public sealed class NotificationChannel
{
    public const int MaxNameLength = 128;
    public const int MaxTargetLength = 1024;

    public int Id { get; set; }

    public required string Name { get; set; }

    public ChannelKind Kind { get; set; }

    /// <summary>The webhook URL, or the e-mail recipients separated by commas.</summary>
    public required string Target { get; set; }

    /// <summary>The webhook's HMAC key, encrypted at rest (<see cref="ChannelSecrets"/>); null for e-mail.</summary>
    public string? ProtectedSecret { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>How people read a <see cref="ChannelKind"/>; the API keeps the enum names.</summary>
public static class ChannelKindLabels
{
    public static string Label(this ChannelKind kind) => kind == ChannelKind.Email ? "E-mail" : "Webhook";
}

[JsonConverter(typeof(JsonStringEnumConverter<AlertEvent>))]
public enum AlertEvent
{
    Fired,
    Resolved,
}

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    Pending,
    Delivered,

    /// <summary>Every attempt failed; not retried again.</summary>
    Failed,
}

/// <summary>One notification of one alert event to one channel: the work item and its log line.</summary>
public sealed class AlertDelivery
{
    public long Id { get; set; }

    public long AlertId { get; set; }

    public int ChannelId { get; set; }

    public AlertEvent Event { get; set; }

    public DeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Why the last attempt failed (status code, connection error).</summary>
    public string? LastError { get; set; }
}

/// <summary>The alerting feature's own state (one row): whether the default rules were created.</summary>
public sealed class AlertSettings
{
    public int Id { get; set; }

    /// <summary>Set once, when the default rules were created (or found unneeded): never created again.</summary>
    public DateTimeOffset? DefaultRulesCreatedAt { get; set; }
}
