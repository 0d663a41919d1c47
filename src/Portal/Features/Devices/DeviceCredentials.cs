using System.Security.Cryptography;
using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Enrollment;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Device secrets: 256 bits each, so a single SHA-256 is enough to store them (no password stretching needed: there
/// is nothing to brute-force in a 256-bit value). A secret answered to an enrolment request is derived, not drawn:
/// HMAC-SHA256 under the portal's <c>keys/credential.key</c> of the device id, the issue time (its generation) and
/// the enrolment key the agent presented. The portal stores only the hash, yet can answer the same secret again to
/// the holder of that enrolment key: an approved device whose answer was lost, or whose retry crossed the answer,
/// gets the credential it was already given instead of a new one that would supersede it (docs/decisions/0014).
/// The database and the key file together still do not yield a secret: the enrolment key is stored hashed.
/// </summary>
public sealed class DeviceCredentials(FleetDataDirectory data, EnrollmentMetrics metrics, AgentSigningKey signingKey)
{
    private readonly byte[] _key = data.Key("credential.key");

    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Verify(string? secret, byte[]? hash) =>
        secret is not null && hash is { Length: 32 } && CryptographicOperations.FixedTimeEquals(Hash(secret), hash);

    /// <summary>
    /// The first credential of an approval, replacing any other. Derived when the agent's enrolment key is at hand (an
    /// approval inside the ingest batch), random otherwise (a person's approval: only the key's hash is stored).
    /// </summary>
    public EnrollmentResponse Issue(Device device, string? enrollmentKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(device);
        var secret = string.IsNullOrEmpty(enrollmentKey) ? NewSecret() : Derive(device.Id, now, enrollmentKey);
        device.CredentialHash = Hash(secret);
        device.CredentialIssuedAt = now;
        device.PendingCredentialHash = null;
        device.PendingCredentialIssuedAt = null;
        metrics.Credential(CredentialAnswer.Issued);
        return Approved(device, secret);
    }

    /// <summary>
    /// The answer to an approved device asking again with its enrolment key: the secret it was given (current or
    /// pending) when that one was derived for this key, else a new pending one that works beside the current one
    /// until the device connects with it (as a rotation does).
    /// </summary>
    public (EnrollmentResponse Response, CredentialAnswer Answer) Answer(
        Device device, string enrollmentKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(enrollmentKey);
        if (device.CredentialHash is null)
        {
            return (Issue(device, enrollmentKey, now), CredentialAnswer.Issued);
        }

        foreach (var (hash, at) in new[]
        {
            (device.PendingCredentialHash, device.PendingCredentialIssuedAt),
            (device.CredentialHash, device.CredentialIssuedAt),
        })
        {
            if (hash is not null && at is { } generation && Derive(device.Id, generation, enrollmentKey) is var again
                && Verify(again, hash))
            {
                metrics.Credential(CredentialAnswer.Repeated);
                return (Approved(device, again), CredentialAnswer.Repeated);
            }
        }

        var secret = Derive(device.Id, now, enrollmentKey);
        device.PendingCredentialHash = Hash(secret);
        device.PendingCredentialIssuedAt = now;
        metrics.Credential(CredentialAnswer.Reissued);
        return (Approved(device, secret), CredentialAnswer.Reissued);
    }

    /// <summary>
    /// Milliseconds, not ticks, name the generation: every store the portal runs on (SQLite text, PostgreSQL
    /// <c>timestamptz</c> in microseconds) gives them back unchanged.
    /// </summary>
    private string Derive(Guid deviceId, DateTimeOffset generation, string enrollmentKey)
    {
        var milliseconds = generation.ToUnixTimeMilliseconds();
        var input = Encoding.UTF8.GetBytes($"fleet-credential\n{deviceId:N}\n{milliseconds}\n{enrollmentKey}");
        return Base64Url(HMACSHA256.HashData(_key, input));
    }

    /// <summary>Every Approved answer, first or repeated, carries the key that signs agent builds.</summary>
    private EnrollmentResponse Approved(Device device, string secret) =>
        new(EnrollmentDecision.Approved, device.Id.ToString("N"), secret, AgentSigningKey: signingKey.PublicKey);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
