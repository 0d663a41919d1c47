using System.Security.Cryptography;
using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Enrollment;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Device secrets: 256 bits each, so a single SHA-256 is enough to store them (no password stretching needed: there
/// is nothing to brute-force in a 256-bit value). A secret answered to an enrolment request is derived, not drawn:
/// HMAC-SHA256 under the portal's <c>keys/credential.key</c> of the device id, the issue time (its generation) and
/// the enrolment key the agent presented. The portal stores only the hash, yet can answer the same secret again to
/// the holder of that enrolment key: an approved device whose answer was lost, or whose retry crossed the answer,
/// gets the credential it was already given instead of a new one that would supersede it (docs/decisions/0014).
/// The database and the key file together still do not yield a secret: the enrolment key is stored hashed.
/// A device that sent a certificate request (<see cref="Device.CertificateRequest"/>) gets a client certificate for
/// its key with every secret, issued by the <see cref="PortalCertificateAuthority"/>, current or pending alike.
/// </summary>
public sealed class DeviceCredentials(
    FleetDataDirectory data,
    EnrollmentMetrics metrics,
    AgentSigningKey signingKey,
    PortalCertificateAuthority authority,
    IOptions<TlsOptions> tls)
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
        SetCurrent(device, Certify(device));
        device.PendingCertificatePem = null;
        device.PendingCertificateSerial = null;
        metrics.Credential(CredentialAnswer.Issued);
        return Approved(device, secret, device.CertificatePem);
    }

    /// <summary>
    /// A new certificate for the key of the device's stored request (the key stays on the device), or null when it
    /// sent none or it no longer reads.
    /// </summary>
    public IssuedCertificate? Certify(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        // Only a request the enrolment check accepted is stored with a device.
        if (PortalCertificateAuthority.ReadAcceptedRequest(device.CertificateRequest) is not { } request)
        {
            return null;
        }

        using var certificate = authority.IssueDeviceCertificate(request, device.Id.ToString("N"),
            TimeSpan.FromDays(tls.Value.DeviceCertificateDays));
        return IssuedCertificate.Of(certificate);
    }

    /// <summary>The portal CA chain a device is sent with its certificate.</summary>
    public string CaCertificates => authority.ChainPem;

    /// <summary>Makes <paramref name="issued"/> the device's certificate (null: none), as on approval.</summary>
    public static void SetCurrent(Device device, IssuedCertificate? issued)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.CertificatePem = issued?.Pem;
        device.CertificateSerial = issued?.Serial;
        device.CertificateNotAfter = issued?.NotAfter;
        device.CertificateFingerprint = issued?.Fingerprint;
    }

    /// <summary>
    /// Forgets every certificate of the device (revocation): the broker accepts none of them any more.
    /// </summary>
    public static void Revoke(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        SetCurrent(device, null);
        device.PendingCertificatePem = null;
        device.PendingCertificateSerial = null;
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

        foreach (var (hash, at, pending) in new[]
        {
            (device.PendingCredentialHash, device.PendingCredentialIssuedAt, true),
            (device.CredentialHash, device.CredentialIssuedAt, false),
        })
        {
            if (hash is not null && at is { } generation && Derive(device.Id, generation, enrollmentKey) is var again
                && Verify(again, hash))
            {
                metrics.Credential(CredentialAnswer.Repeated);
                return (Approved(device, again, SameKeyCertificate(device, pending)), CredentialAnswer.Repeated);
            }
        }

        var secret = Derive(device.Id, now, enrollmentKey);
        device.PendingCredentialHash = Hash(secret);
        device.PendingCredentialIssuedAt = now;
        SetPending(device, Certify(device));
        metrics.Credential(CredentialAnswer.Reissued);
        return (Approved(device, secret, device.PendingCertificatePem), CredentialAnswer.Reissued);
    }

    /// <summary>Sends <paramref name="issued"/> with a pending secret: it becomes current with that secret.</summary>
    public static void SetPending(Device device, IssuedCertificate? issued)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.PendingCertificatePem = issued?.Pem;
        device.PendingCertificateSerial = issued?.Serial;
    }

    /// <summary>
    /// The certificate that goes with a repeated secret: the one already issued while it certifies the key of the
    /// stored request (the answer the agent may be about to use), else a new one for the request's key in its place.
    /// </summary>
    private string? SameKeyCertificate(Device device, bool pending)
    {
        var pem = pending ? device.PendingCertificatePem : device.CertificatePem;
        if (device.CertificateRequest is null || (pem is not null && SameKey(pem, device.CertificateRequest)))
        {
            return pem;
        }

        var issued = Certify(device);
        if (pending)
        {
            SetPending(device, issued);
        }
        else
        {
            SetCurrent(device, issued);
        }

        return issued?.Pem;
    }

    private static bool SameKey(string certificatePem, string requestPem)
    {
        if (PortalCertificateAuthority.ReadAcceptedRequest(requestPem) is not { } request)
        {
            return true;   // nothing better to certify
        }

        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            certificatePem);
        return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan()
            .SequenceEqual(request.PublicKey.ExportSubjectPublicKeyInfo());
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

    /// <summary>
    /// Every Approved answer, first or repeated, carries the key that signs agent builds, and the client certificate
    /// with the CA chain when the device has one.
    /// </summary>
    private EnrollmentResponse Approved(Device device, string secret, string? certificate) =>
        new(EnrollmentDecision.Approved, device.Id.ToString("N"), secret, AgentSigningKey: signingKey.PublicKey,
            Certificate: certificate, CaCertificates: certificate is null ? null : authority.ChainPem);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
