using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceAgent;

/// <summary>Configuration section <c>Agent</c>: where the broker is and where the agent keeps its state.</summary>
public sealed class AgentOptions
{
    public const string SectionName = "Agent";

    /// <summary>Host name or address of the portal's MQTT broker.</summary>
    [Required]
    public string BrokerHost { get; set; } = "localhost";

    /// <summary>
    /// TCP port of the portal's MQTT broker: its TLS port (the portal's Fleet:Mqtt:Port), or its plain port
    /// (Fleet:Mqtt:PlainPort) with <see cref="PlainMqtt"/>.
    /// </summary>
    [Range(1, 65535)]
    public int BrokerPort { get; set; } = 8883;

    /// <summary>
    /// PEM file with the portal's CA chain (Ignition writes <c>/etc/fleet-agent/ca.pem</c>): the only certificates the
    /// agent trusts the broker's certificate to chain to.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>
    /// For a manual install without <see cref="CaCertificateFile"/>: the SHA-256 of the portal's issuing CA
    /// certificate (hex, colons allowed), compared with the chain the broker presents. Once connected the chain is
    /// saved in the state folder (<c>ca.pem</c>) and trusted from then on. Without a file or a pin the agent trusts
    /// nothing (no trust on first use).
    /// </summary>
    [RegularExpression("^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$",
        ErrorMessage = "Agent:CaFingerprint must be a SHA-256 in hex (64 digits, colons allowed)")]
    public string? CaFingerprint { get; set; }

    /// <summary>
    /// Plain MQTT without TLS (the portal's Fleet:Mqtt:PlainPort): the device's password and everything it sends
    /// travel in clear text. Only for development against a loopback broker.
    /// </summary>
    public bool PlainMqtt { get; set; }

    /// <summary>Password of the shared bootstrap identity; empty is a valid value (the portal's default).</summary>
    [Required(AllowEmptyStrings = true)]
    public string BootstrapPassword { get; set; } = string.Empty;

    /// <summary>
    /// Folder for the agent's state: its enrolment id and key, credential, update state, health outbox and config
    /// ledger. Only root should read it.
    /// </summary>
    [Required]
    public string StateDirectory { get; set; } = "/var/lib/fleet-agent";

    /// <summary>Root under which /etc, /proc and /sys are read; tests and containers point it at another tree.</summary>
    [Required]
    public string HostRoot { get; set; } = "/";

    /// <summary>
    /// Fixed heartbeat interval that overrides what the portal sends. Unset in normal operation so the
    /// portal decides; load tests use it to drive the broker harder than the portal would allow.
    /// </summary>
    [Range(1, 86_400)]
    public int? HeartbeatIntervalOverrideSeconds { get; set; }

    /// <summary>
    /// Fixed health report interval that overrides the portal's <c>HealthIntervalSeconds</c>; fractions allowed
    /// (the simulator's load tests use 0.2). Unset in normal operation.
    /// </summary>
    [Range(0.05, 86_400)]
    public double? HealthIntervalOverrideSeconds { get; set; }

    /// <summary>MQTT keep-alive; a dead TCP connection is noticed after about 1.5 times this.</summary>
    [Range(5, 3_600)]
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>How long a connect or subscribe may take before the connection is given up.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How long a publish waits for the portal's acknowledgement, which comes only once the message is stored. Longer
    /// than <see cref="TimeoutSeconds"/>: a busy portal stores slowly, and giving up would reconnect and send again,
    /// adding to the load that made it slow (a whole fleet doing so never converges). Keep-alive still notices a dead
    /// connection meanwhile.
    /// </summary>
    [Range(1, 3_600)]
    public int AcknowledgementTimeoutSeconds { get; set; } = 120;

    /// <summary>Enrolment token sent with every enrolment request (a valid one lets the portal approve at once).</summary>
    public string? EnrollmentToken { get; set; }

    /// <summary>A file holding the enrolment token, read when <see cref="EnrollmentToken"/> is unset; then <c>fleet.enroll_token=</c> on the kernel command line.</summary>
    public string? EnrollmentTokenFile { get; set; }

    /// <summary>Show the portal's claim code on the console banner and in the log while pending.</summary>
    public bool ClaimBanner { get; set; } = true;

    /// <summary>Root under which <c>etc/issue.d/fleet-claim.issue</c> is written; tests point it at a temp folder.</summary>
    [Required]
    public string ClaimBannerRoot { get; set; } = "/";
}
