using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Messaging;

/// <summary>Section <c>Fleet:Mqtt</c>: the embedded broker and the ingest pipeline behind it.</summary>
public sealed class MqttOptions
{
    public const string Section = "Fleet:Mqtt";

    /// <summary>TCP port of the embedded broker.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>Address the broker listens on; <c>0.0.0.0</c> for every interface.</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Password of the shared <c>bootstrap</c> identity that may only use the enrolment topics. Empty allows any.</summary>
    public string BootstrapPassword { get; set; } = string.Empty;

    /// <summary>Messages waiting for the database before publishers are made to wait (back-pressure).</summary>
    [Range(16, 1_000_000)]
    public int IngestQueueCapacity { get; set; } = 10_000;

    /// <summary>Most messages committed in one database transaction.</summary>
    [Range(1, 10_000)]
    public int IngestBatchSize { get; set; } = 500;

    /// <summary>
    /// While the writer is busy, a batch starts at most this often (milliseconds; 0 = as soon as the last one ends), so
    /// that messages arriving meanwhile share one commit: fewer, larger transactions write each index page once. An idle
    /// writer starts at once.
    /// </summary>
    [Range(0, 1000)]
    public int IngestBatchWindowMilliseconds { get; set; } = 20;

    /// <summary>
    /// Connections the kernel queues for the broker before it accepts them (the listen backlog; Linux caps it at
    /// <c>net.core.somaxconn</c>). When the queue is full a connection attempt is dropped and the device retries only
    /// after a second or more, so it must cover the connections that arrive while the portal is briefly busy (a GC
    /// pause, a fleet reconnecting after a restart). MQTTnet's default is 10.
    /// </summary>
    [Range(10, 65_535)]
    public int ConnectionBacklog { get; set; } = 1024;

    /// <summary>Enrolment requests one bootstrap client id may send per minute (steady rate); more are refused with QuotaExceeded.</summary>
    [Range(1, 60_000)]
    public int EnrollmentRequestsPerClientPerMinute { get; set; } = 12;

    /// <summary>Enrolment requests one client id may send in a burst.</summary>
    [Range(1, 10_000)]
    public int EnrollmentBurstPerClient { get; set; } = 5;

    /// <summary>Enrolment requests one IP address may send per second (a site behind NAT shares one address).</summary>
    [Range(10, 1_000_000)]
    public int EnrollmentRequestsPerAddressPerSecond { get; set; } = 100;

    /// <summary>Enrolment requests one IP address may send in a burst.</summary>
    [Range(1, 1_000_000)]
    public int EnrollmentBurstPerAddress { get; set; } = 500;

    /// <summary>Bad passwords for one user name from one address before that pair is locked out; 0 turns the lock-out off.</summary>
    [Range(0, 10_000)]
    public int BadPasswordsBeforeLockout { get; set; } = 10;

    /// <summary>Bad passwords for any user names from one address before the whole address is locked out.</summary>
    [Range(1, 1_000_000)]
    public int BadPasswordsPerAddressBeforeLockout { get; set; } = 100;

    /// <summary>First lock-out; each further bad password doubles it.</summary>
    [Range(1, 86_400)]
    public int LockoutSeconds { get; set; } = 30;

    /// <summary>Longest lock-out.</summary>
    [Range(1, 86_400)]
    public int MaxLockoutSeconds { get; set; } = 3_600;
}
