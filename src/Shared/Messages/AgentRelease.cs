namespace Fleet.Shared.Messages;

/// <summary>
/// Portal → agent on <see cref="Topics.AgentRelease"/> (retained): the agent build this device must run. Sent when
/// the device comes online and whenever its desired version changes. An agent already running
/// <paramref name="Version"/> does nothing; otherwise it downloads <paramref name="Url"/>, checks
/// <paramref name="Sha512"/> and <paramref name="Signature"/> (<see cref="AgentSignature.Verify"/> with the key it got
/// at enrolment), swaps its binary and restarts, and reports the result in an <see cref="AgentUpdateReport"/>.
/// </summary>
/// <param name="Version">The agent version to run (at most <see cref="Protocol.MaxAgentVersionLength"/>
/// characters).</param>
/// <param name="Architecture">The build's architecture, <c>x86_64</c> or <c>aarch64</c> (the device's own).</param>
/// <param name="Url">Absolute URL of the build on the portal (<c>/agent/{version}/{architecture}</c>).</param>
/// <param name="Sha512">SHA-512 of the build, 128 lower-case hex digits.</param>
/// <param name="Signature">Base64 Ed25519 signature of <see cref="AgentSignature.Statement"/> by the portal's
/// key.</param>
public sealed record AgentRelease(string Version, string Architecture, string Url, string Sha512, string Signature);
