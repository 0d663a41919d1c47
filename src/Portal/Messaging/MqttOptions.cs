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
}
