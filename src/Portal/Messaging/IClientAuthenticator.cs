using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Decides who an MQTT client is when it connects, and whether an enrolling client may publish now. The transport
/// asks; the enrolment feature answers (credentials, bootstrap keys, lock-outs and enrolment rates are its rules).
/// </summary>
internal interface IClientAuthenticator
{
    Task<ConnectVerdict> AuthenticateAsync(ConnectAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Null when this bootstrap client may publish an enrolment request now; else the limit it hit.</summary>
    string? EnrollmentRefusal(ClientIdentity identity);
}

/// <summary>What a CONNECT presents.</summary>
internal sealed record ConnectAttempt(
    string? ClientId,
    string? UserName,
    byte[]? Password,
    IReadOnlyList<MqttUserProperty>? UserProperties,
    string Address)
{
    /// <summary>The client certificate of the TLS connection it came on, if the client presented one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>A client id or user name for a log line: what a client sends may be long.</summary>
    public static string Printable(string? value) =>
        value is null ? "(none)" : value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "…");
}

/// <summary>The identity a CONNECT proved, or the reason code and reason it is refused with.</summary>
internal sealed record ConnectVerdict(ClientIdentity? Identity, MqttConnectReasonCode Code, string? Reason)
{
    public static ConnectVerdict Accept(ClientIdentity identity) => new(identity, MqttConnectReasonCode.Success, null);

    public static ConnectVerdict Refuse(MqttConnectReasonCode code, string reason) => new(null, code, reason);
}
