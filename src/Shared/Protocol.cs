namespace Fleet.Shared;

/// <summary>Protocol constants both sides agree on.</summary>
public static class Protocol
{
    /// <summary>Version of the message schema. Bumped on incompatible changes; the portal refuses versions it does not know.</summary>
    public const int Version = 1;

    /// <summary>Largest payload the portal accepts on any Fleet topic, in bytes. Larger messages are dropped with a logged reason.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    /// <summary>Longest accepted string field (hostname, OS fields, interface names), in characters.</summary>
    public const int MaxFieldLength = 256;

    /// <summary>Longest accepted <c>/etc/os-release</c> key, in characters.</summary>
    public const int MaxOsReleaseKeyLength = 64;

    /// <summary>Longest accepted architecture name (<c>x86_64</c>, <c>aarch64</c>), in characters.</summary>
    public const int MaxArchitectureLength = 32;

    /// <summary>Longest accepted agent version string, in characters.</summary>
    public const int MaxAgentVersionLength = 64;

    /// <summary>Longest accepted hardware serial number, in characters.</summary>
    public const int MaxSerialNumberLength = 128;

    /// <summary>Most network interfaces accepted in one enrolment request.</summary>
    public const int MaxInterfaces = 64;

    /// <summary>Most <c>/etc/os-release</c> fields accepted in one enrolment request.</summary>
    public const int MaxOsReleaseFields = 64;

    /// <summary>Heartbeat interval used until the portal says otherwise, in seconds.</summary>
    public const int DefaultHeartbeatIntervalSeconds = 30;
}
