using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.DeviceAgent.State;

/// <summary>
/// What an agent must remember across restarts: its enrolment id (so the portal recognises a repeated
/// request), its enrolment key (the proof that a later request comes from the same agent), the claim
/// code it was given while pending and, once approved, its own MQTT credential and the portal's public key that signs
/// agent builds (<see cref="AgentSigningKey"/>, base64 Ed25519; null from a portal that sent none). For TLS client
/// authentication it keeps its own private key (<see cref="ClientKey"/>, PKCS#8 PEM, made once) and the certificate
/// the portal issued for it (<see cref="ClientCertificate"/>, PEM).
/// </summary>
public sealed record AgentState(
    string EnrollmentId,
    string? DeviceId = null,
    string? Secret = null,
    string? EnrollmentKey = null,
    string? ClaimCode = null,
    string? ClaimUrl = null,
    DateTimeOffset? ClaimCodeExpiresAt = null,
    string? AgentSigningKey = null,
    string? ClientKey = null,
    string? ClientCertificate = null)
{
    [JsonIgnore]
    public bool IsEnrolled => !string.IsNullOrEmpty(DeviceId) && !string.IsNullOrEmpty(Secret);

    /// <summary>The enrolment id and keys stay: asking again is the same enrolment, for the same TLS key.</summary>
    public AgentState WithoutCredential() => this with { DeviceId = null, Secret = null, ClientCertificate = null };
}

/// <summary>Persists the <see cref="AgentState"/>. Implementations must be safe to call from one device's loop.</summary>
public interface IStateStore
{
    /// <summary>The saved state, or <see langword="null"/> when the agent has never run (or the state was unreadable).</summary>
    Task<AgentState?> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(AgentState state, CancellationToken cancellationToken);
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(AgentState))]
[JsonSerializable(typeof(HealthOutboxCounters))]
[JsonSerializable(typeof(AgentUpdates.SelfUpdateState))]
internal sealed partial class AgentStateJson : JsonSerializerContext;
