using Fleet.Portal.Data;
using Fleet.Shared;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// The portal's Ed25519 key that signs agent builds: <c>keys/agent-signing.ed25519</c> in the data directory (32
/// random bytes, mode 0600, made on first use). Its public half goes to each device in its enrolment answer; a device
/// installs only builds signed with it. Back it up with the data folder: a new key means devices enrolled before
/// refuse every build until they enrol again.
/// </summary>
public sealed class AgentSigningKey(FleetDataDirectory directory)
{
    private const string FileName = "agent-signing.ed25519";

    private readonly Lazy<byte[]> _privateKey = new(() => directory.Key(FileName));

    /// <summary>The public key, base64 (what <see cref="Shared.Messages.EnrollmentResponse.AgentSigningKey"/> carries).
    /// </summary>
    public string PublicKey => Convert.ToBase64String(AgentSignature.PublicKeyOf(_privateKey.Value));

    /// <summary>The signature of a build (<see cref="AgentSignature.Sign"/>).</summary>
    public string Sign(string version, string architecture, string sha512) =>
        AgentSignature.Sign(_privateKey.Value, version, architecture, sha512);
}
