using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.DeviceAgent.State;

/// <summary>
/// What an agent must remember across restarts: its enrolment id (so the portal recognises a repeated
/// request) and, once approved, its own MQTT credential.
/// </summary>
public sealed record AgentState(string EnrollmentId, string? DeviceId = null, string? Secret = null)
{
    [JsonIgnore]
    public bool IsEnrolled => !string.IsNullOrEmpty(DeviceId) && !string.IsNullOrEmpty(Secret);

    public AgentState WithoutCredential() => this with { DeviceId = null, Secret = null };
}

/// <summary>Persists the <see cref="AgentState"/>. Implementations must be safe to call from one device's loop.</summary>
public interface IStateStore
{
    /// <summary>The saved state, or <see langword="null"/> when the agent has never run (or the state was unreadable).</summary>
    Task<AgentState?> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(AgentState state, CancellationToken cancellationToken);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentState))]
internal sealed partial class AgentStateJson : JsonSerializerContext;
