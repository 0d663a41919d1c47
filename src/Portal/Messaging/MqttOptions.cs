using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Messaging;

/// <summary>Section <c>Fleet:Mqtt</c>: the embedded broker and the ingest pipeline behind it.</summary>
public sealed class MqttOptions
{
    public const string Section = "Fleet:Mqtt";

    /// <summary>
    /// TCP port of the embedded broker's MQTTS (MQTT over TLS) listener, presenting the portal's server certificate
    /// (Fleet:Tls); 0 takes a free port at start (logged; what tests use).
    /// </summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8883;

    /// <summary>Address the MQTTS listener listens on; <c>0.0.0.0</c> for every interface.</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// TCP port of a plain MQTT listener (no TLS: passwords and data in clear text); empty (the default) for none, 0
    /// for a free port. Logged as a warning at start. For development and for agents on the same host only.
    /// </summary>
    [Range(0, 65535)]
    public int? PlainPort { get; set; }

    /// <summary>
    /// Address the plain listener listens on: loopback by default, so that opening <see cref="PlainPort"/> exposes
    /// nothing to the network unless this is changed too.
    /// </summary>
    [Required]
    public string PlainBindAddress { get; set; } = "127.0.0.1";

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

    /// <summary>
    /// Most MQTT connections the broker holds at once, of every kind; 0 (the default) takes the process's open-file
    /// limit less <see cref="ReservedDescriptors"/>. A connection over it is closed as soon as it is accepted (after
    /// closing the oldest silent one, if any), so the broker can never take the descriptors that the web UI, the API
    /// and the database need.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxConnections { get; set; }

    /// <summary>
    /// Descriptors kept back from the broker for everything else in the process when MaxConnections is 0.
    /// </summary>
    [Range(64, 1_000_000)]
    public int ReservedDescriptors { get; set; } = 1_000;

    /// <summary>
    /// Connections that have not yet sent a whole CONNECT, held at once. When full, a new connection closes the
    /// oldest silent one: an idle-socket flood only churns through this pool while real clients, which send their
    /// CONNECT at once, get in.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPendingConnections { get; set; } = 2_000;

    /// <summary>
    /// Connections from one address that have not yet sent a whole CONNECT; more are closed on accept.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPendingConnectionsPerAddress { get; set; } = 256;

    /// <summary>Seconds a new connection has to send its whole CONNECT before it is closed.</summary>
    [Range(1, 600)]
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Bootstrap (enrolling) sessions held at once; more are refused with CONNACK "quota exceeded".</summary>
    [Range(1, 10_000_000)]
    public int MaxBootstrapSessions { get; set; } = 5_000;

    /// <summary>Bootstrap sessions from one address (a site behind NAT enrols through one address).</summary>
    [Range(1, 10_000_000)]
    public int MaxBootstrapSessionsPerAddress { get; set; } = 1_000;

    /// <summary>
    /// Longest MQTT keep-alive a bootstrap session may ask for, in seconds. A keep-alive of 0 (no timeout at all) is
    /// refused for every client: a vanished client would hold its connection for ever.
    /// </summary>
    [Range(1, 65_535)]
    public int MaxBootstrapKeepAliveSeconds { get; set; } = 300;

    /// <summary>
    /// Largest CONNECT packet, in bytes, checked from the packet's fixed header before anything is allocated for it.
    /// </summary>
    [Range(256, 1_048_576)]
    public int MaxConnectPacketBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Largest packet of any kind after CONNECT, in bytes, checked from the fixed header before anything is allocated
    /// for it; a client announcing more is disconnected. Twice the largest payload Fleet accepts by default, so that
    /// an oversized payload up to this size still gets a PUBACK naming the limit.
    /// </summary>
    [Range(1024, 268_435_455)]
    public int MaxPacketBytes { get; set; } = 2 * Shared.Protocol.MaxPayloadBytes;

    /// <summary>Topic filters one client may hold; more are refused with SUBACK "quota exceeded".</summary>
    [Range(1, 10_000)]
    public int MaxSubscriptionsPerClient { get; set; } = 16;

    /// <summary>
    /// Heartbeats, status, deployment and config reports one device may send per minute, each kind on its own (health
    /// reports have their own limit, Fleet:Health:MaxReportsPerMinute); more are refused with PUBACK "quota exceeded".
    /// Must stay above 60 / Fleet:Devices:HeartbeatIntervalSeconds.
    /// </summary>
    [Range(1, 60_000)]
    public int DeviceMessagesPerMinute { get; set; } = 120;

    /// <summary>
    /// Messages of one kind a device may send back to back before <see cref="DeviceMessagesPerMinute"/> applies.
    /// </summary>
    [Range(1, 10_000)]
    public int DeviceMessageBurst { get; set; } = 30;

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
