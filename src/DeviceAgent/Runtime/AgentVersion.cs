using System.Reflection;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// The version of this agent build, as stamped by <c>scripts/build-agent.sh --version</c>: what enrolment requests
/// and the Online status carry, what <c>fleet-agent --version</c> prints and what an <c>AgentRelease</c> is compared
/// with. Build metadata (<c>+</c> and the commit the SDK appends) is not part of it.
/// </summary>
public static class AgentVersion
{
    /// <summary>The running agent's version, at most <see cref="Protocol.MaxAgentVersionLength"/> characters.</summary>
    public static string Current { get; } = Of(typeof(AgentVersion).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>The version in an informational version: without build metadata, cut to the protocol's limit.</summary>
    /// <param name="informationalVersion">The assembly's informational version, e.g. <c>1.4.0+3f2a…</c>.</param>
    /// <returns>E.g. <c>1.4.0</c>; <c>0.0.0</c> when there is none.</returns>
    public static string Of(string? informationalVersion)
    {
        var version = informationalVersion ?? string.Empty;
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        version = (plus < 0 ? version : version[..plus]).Trim();
        version = version.Length == 0 ? "0.0.0" : version;
        return version.Length <= Protocol.MaxAgentVersionLength ? version : version[..Protocol.MaxAgentVersionLength];
    }
}
