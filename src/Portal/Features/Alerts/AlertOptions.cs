using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Alerts;

/// <summary>How STARTTLS or TLS is used towards the SMTP server (MailKit's <c>SecureSocketOptions</c>).</summary>
public enum SmtpSecurity
{
    /// <summary>TLS on connect for port 465, STARTTLS when the server offers it otherwise.</summary>
    Auto,

    /// <summary>Plain text (a relay on localhost).</summary>
    None,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>Upgrade with STARTTLS; refuse a server that does not offer it.</summary>
    StartTls,
}

/// <summary>Section <c>Fleet:Alerts</c>: when an alert may fire again, and how notifications are delivered.</summary>
public sealed class AlertOptions
{
    public const string Section = "Fleet:Alerts";

    /// <summary>
    /// Minutes after an alert resolves (by itself or by hand) before the same rule may fire again on the same device.
    /// </summary>
    [Range(0, 10_080)]
    public int HoldDownMinutes { get; set; } = 30;

    /// <summary>Attempts per notification before it is logged as failed.</summary>
    [Range(1, 50)]
    public int DeliveryAttempts { get; set; } = 6;

    /// <summary>Seconds before the first retry; each further retry waits twice as long.</summary>
    [Range(1, 86_400)]
    public int RetryDelaySeconds { get; set; } = 30;

    /// <summary>Seconds a webhook or SMTP server has to answer one attempt.</summary>
    [Range(1, 300)]
    public int DeliveryTimeoutSeconds { get; set; } = 15;

    /// <summary>Days delivery log lines are kept.</summary>
    [Range(1, 3650)]
    public int DeliveryLogDays { get; set; } = 30;

    /// <summary>SMTP server for e-mail channels; empty: e-mail channels fail their deliveries with a reason.</summary>
    public string? SmtpHost { get; set; }

    /// <summary>SMTP port: 587 for submission with STARTTLS, 465 for TLS on connect, 25 for a plain relay.</summary>
    [Range(1, 65_535)]
    public int SmtpPort { get; set; } = 587;

    /// <summary>TLS towards the SMTP server: Auto, None, SslOnConnect or StartTls.</summary>
    public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.Auto;

    /// <summary>User name for SMTP AUTH; empty: no authentication.</summary>
    public string? SmtpUserName { get; set; }

    /// <summary>Password for SMTP AUTH; a secret: set it in the environment (<c>Fleet__Alerts__SmtpPassword</c>).
    /// </summary>
    public string? SmtpPassword { get; set; }

    /// <summary>The From address of alert e-mails.</summary>
    [EmailAddress]
    public string SmtpFrom { get; set; } = "fleet@localhost";
}
