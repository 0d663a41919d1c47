using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Shared.Messages;

/// <summary>
/// The one JSON shape of every Fleet message: camelCase names, enums as strings, nulls omitted,
/// missing constructor parameters and nulls in non-nullable fields rejected.
/// Source-generated so the agent can be trimmed and AOT-compiled.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    MaxDepth = 8,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(EnrollmentRequest))]
[JsonSerializable(typeof(EnrollmentResponse))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(DeviceSettings))]
[JsonSerializable(typeof(DeploymentReport))]
[JsonSerializable(typeof(UpdatePolicy))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(DesiredConfig))]
[JsonSerializable(typeof(ConfigReport))]
[JsonSerializable(typeof(CredentialRotation))]
[JsonSerializable(typeof(AgentRelease))]
[JsonSerializable(typeof(AgentUpdateReport))]
[JsonSerializable(typeof(CommandRequest))]
[JsonSerializable(typeof(CommandResult))]
[JsonSerializable(typeof(CommandUpload))]
[JsonSerializable(typeof(TerminalInput))]
[JsonSerializable(typeof(TerminalOutput))]
public sealed partial class FleetJson : JsonSerializerContext;
