using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>Reads a message the portal sent; a malformed one is ignored rather than ending the connection.</summary>
internal static class MessageJson
{
    public static bool TryDeserialize<T>(byte[] payload, JsonTypeInfo<T> typeInfo, [NotNullWhen(true)] out T? value)
        where T : class
    {
        try
        {
            value = JsonSerializer.Deserialize(payload, typeInfo);
            return value is not null;
        }
        catch (JsonException)
        {
            value = null;
            return false;
        }
    }
}
