using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// The CA that issues the portal's server certificate and each device's client certificate. Either the admin's
/// (<see cref="TlsOptions.CaCertificateFile"/>, possibly an intermediate whose root stays offline) or the portal's
/// own, made on first start: an ECDSA P-256 issuing CA under a root of its own, both in <c>pki/ca.crt</c>, the issuing
/// CA's key in <c>pki/ca.key</c> (0600) of the data folder (the root's key is not kept), valid 20 years. Back the
/// folder up with the database: a new CA means every device must be given it again.
/// </summary>
public sealed class PortalCertificateAuthority
{
    public const string FolderName = "pki";
    public const string CertificateFileName = "ca.crt";
    public const string KeyFileName = "ca.key";

    /// <summary>Extended key usages (RFC 5280): TLS server and TLS client authentication.</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(20 * 365);

    // Certificates start an hour early: a device whose clock is a little behind still accepts them.
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    private readonly X509Certificate2 _issuer;   // with its private key
    private readonly X509Certificate2[] _roots;  // the self-signed CAs of the chain: none when the root is offline
    private readonly TimeProvider _time;

    public PortalCertificateAuthority(IOptions<TlsOptions> options, FleetDataDirectory data, TimeProvider time,
        ILogger<PortalCertificateAuthority> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(logger);
        _time = time;
        var tls = options.Value;
        X509Certificate2Collection chain;
        if (!string.IsNullOrWhiteSpace(tls.CaCertificateFile))
        {
            if (string.IsNullOrWhiteSpace(tls.CaKeyFile))
            {
                throw new StartupRefusedException($"{TlsOptions.Section}:CaKeyFile is required with CaCertificateFile");
            }

            (_issuer, chain) = Load(tls.CaCertificateFile, tls.CaKeyFile, $"{TlsOptions.Section}:CaCertificateFile");
        }
        else
        {
            var certificatePath = data.Combine(FolderName, CertificateFileName);
            var keyPath = data.Combine(FolderName, KeyFileName);
            if (!File.Exists(certificatePath) || !File.Exists(keyPath))
            {
                Create(data, certificatePath, keyPath, time);
                logger.LogInformation("Created the portal CA {Path}", certificatePath);
            }

            (_issuer, chain) = Load(certificatePath, keyPath, certificatePath);
        }

        Chain = chain;
        Certificate = chain[0];
        _roots = [.. chain.Where(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData))];
        Fingerprint = Convert.ToHexStringLower(Certificate.GetCertHash(HashAlgorithmName.SHA256));
        ChainPem = string.Concat(chain.Select(c => c.ExportCertificatePem() + "\n"));
    }

    /// <summary>The issuing CA's certificate (no private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The issuing CA's certificate, then those above it as supplied (the root last, if supplied).</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary><see cref="Chain"/> as PEM: what a device or a browser trusts to reach the portal.</summary>
    public string ChainPem { get; }

    /// <summary>SHA-256 of the issuing CA's certificate (DER), lower-case hex: what a manual install pins.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// A new server certificate (ECDSA P-256, with its private key) for <paramref name="names"/> (host names and IP
    /// addresses; the first is the subject's common name).
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IReadOnlyList<string> names, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentOutOfRangeException.ThrowIfZero(names.Count);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(CommonName(names[0]), key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name.Trim('[', ']'), out var address))
            {
                alternativeNames.AddIpAddress(address);
            }
            else
            {
                alternativeNames.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(alternativeNames.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], false));
        using var issued = Sign(request, X509KeyUsageFlags.DigitalSignature, lifetime);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A device's client certificate for the key of <paramref name="request"/> (the device keeps the private key):
    /// subject <c>CN={deviceId}</c>, client authentication only. The request's own subject and extensions are
    /// ignored; the portal decides what the device is.
    /// </summary>
    public X509Certificate2 IssueDeviceCertificate(CertificateRequest request, string deviceId, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(request);
        var issued = new CertificateRequest(CommonName(deviceId), request.PublicKey, HashAlgorithmName.SHA256);
        issued.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthentication)], false));
        return Sign(issued, X509KeyUsageFlags.DigitalSignature, lifetime);
    }

    /// <summary>
    /// Reads a device's PKCS#10 request (PEM), checking its signature (the device holds the key) and its key: RSA of
    /// 2048 bits or more, or ECDSA on P-256 or P-384. False, with the reason, for anything else.
    /// </summary>
    public static bool TryReadRequest(string? pem, out CertificateRequest? request, out string error)
    {
        request = null;
        if (string.IsNullOrWhiteSpace(pem) || pem.Length > MaxRequestPemLength)
        {
            error = $"a PEM certificate request of at most {MaxRequestPemLength} characters is required";
            return false;
        }

        try
        {
            request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or AsnContentException)
        {
            error = $"not a signed PKCS#10 certificate request: {ex.Message}";
            return false;
        }

        error = KeyProblem(request.PublicKey) ?? string.Empty;
        if (error.Length > 0)
        {
            request = null;
            return false;
        }

        return true;
    }

    /// <summary>
    /// A request that <see cref="TryReadRequest"/> accepted when it arrived (as stored with its device), read again
    /// without checking its signature and key a second time (they take half a millisecond, on the ingest writer);
    /// null when there is none or it does not read.
    /// </summary>
    public static CertificateRequest? ReadAcceptedRequest(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem) || pem.Length > MaxRequestPemLength)
        {
            return null;
        }

        try
        {
            return CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.SkipSignatureValidation, RSASignaturePadding.Pkcs1);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or AsnContentException)
        {
            return null;
        }
    }

    /// <summary>Longest PEM request accepted (an RSA 4096 request is about 1.7 KiB).</summary>
    public const int MaxRequestPemLength = 4096;

    /// <summary>
    /// Whether <paramref name="certificate"/> was issued by this CA and is valid now (signature and dates; revocation
    /// is the caller's, by serial).
    /// </summary>
    public bool Issued(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.ExtraStore.Add(Certificate);
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.DisableCertificateDownloads = true;

        // The issuing CA is the anchor whether or not it is a root: a partial chain ending at it is what counts.
        return chain.Build(certificate)
            && chain.ChainElements.Count >= 2
            && chain.ChainElements[1].Certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span);
    }

    /// <summary>
    /// The policy a TLS listener checks client certificates with, so that the chain the handshake builds anyway is the
    /// one that decides: only the CA chain's root is trusted, the chain itself is the way to it, client authentication
    /// is required, at this portal's time. Null when the chain holds no root (an admin's intermediate whose root stays
    /// offline): <see cref="Issued(X509Certificate2, X509Chain?, SslPolicyErrors)"/> then builds its own chain.
    /// </summary>
    public X509ChainPolicy? ClientChainPolicy()
    {
        if (_roots.Length == 0)
        {
            return null;
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
            VerificationTime = _time.GetUtcNow().UtcDateTime,
            VerificationTimeIgnored = false,
        };
        policy.CustomTrustStore.AddRange(_roots);
        policy.ExtraStore.AddRange(Chain);
        policy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        return policy;
    }

    /// <summary>
    /// <see cref="Issued(X509Certificate2)"/> for a client certificate the TLS handshake has built
    /// <paramref name="chain"/> for: settled by that chain when it was built with <see cref="ClientChainPolicy"/>
    /// without errors and passes through this CA; checked afresh otherwise.
    /// </summary>
    public bool Issued(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return ((errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0
                && chain is { ChainElements.Count: >= 2 }
                && chain.ChainElements[1].Certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span))
            || Issued(certificate);
    }

    private X509Certificate2 Sign(CertificateRequest request, X509KeyUsageFlags usage, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (_issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())   // an admin's CA may lack it
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_issuer, true,
                false));
        }
        var now = _time.GetUtcNow();
        var notAfter = now + lifetime;
        if (notAfter > _issuer.NotAfter)
        {
            notAfter = _issuer.NotAfter;   // nothing outlives its issuer
        }

        // A positive 16-byte random serial (RFC 5280 allows up to 20 octets).
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return request.Create(_issuer, now - Backdate, notAfter, serial);
    }

    private static string? KeyProblem(PublicKey key)
    {
        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.KeySize >= 2048 ? null : $"an RSA key of {rsa.KeySize} bits is too short (2048 at least)";
            }
        }

        if (key.GetECDsaPublicKey() is { } ecdsa)
        {
            using (ecdsa)
            {
                var curve = ecdsa.ExportParameters(false).Curve;
                return curve.Oid?.Value is "1.2.840.10045.3.1.7" or "1.3.132.0.34"
                    ? null
                    : "an ECDSA key must be on P-256 or P-384";
            }
        }

        return "the key must be RSA (2048 bits or more) or ECDSA (P-256 or P-384)";
    }

    private static (X509Certificate2 Issuer, X509Certificate2Collection Chain) Load(string certificatePath,
        string keyPath, string option)
    {
        X509Certificate2Collection chain = [];
        X509Certificate2 issuer;
        try
        {
            chain.ImportFromPemFile(certificatePath);
            if (chain.Count == 0)
            {
                throw new StartupRefusedException($"{option} {certificatePath} holds no PEM certificate");
            }

            issuer = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception ex)
            when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new StartupRefusedException(
                $"{option} {certificatePath} (key {keyPath}) cannot be read: {ex.Message}");
        }

        if (issuer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()
            is not { CertificateAuthority: true })
        {
            throw new StartupRefusedException(
                $"{option} {certificatePath} is not a CA certificate (basic constraints)");
        }

        // The issuer's key stays in memory only (no key store on disk).
        issuer = X509CertificateLoader.LoadPkcs12(issuer.Export(X509ContentType.Pkcs12), null,
            X509KeyStorageFlags.EphemeralKeySet);
        return (issuer, chain);
    }

    /// <summary>
    /// A root and the issuing CA it signs; only the issuing CA's key is kept. Two levels because TLS stacks (.NET's
    /// among them) leave a self-signed root out of the chain they present: the issuing CA is in every handshake only
    /// when it is not the root, and a manual install pins it (<see cref="Fingerprint"/>) against that chain.
    /// </summary>
    private static void Create(FleetDataDirectory data, string certificatePath, string keyPath, TimeProvider time)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var now = time.GetUtcNow();
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = CaRequest($"CN=Fleet portal root CA {suffix}", rootKey, pathLength: 1);
        using var root = rootRequest.CreateSelfSigned(now - Backdate, now + CaValidity);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest($"CN=Fleet portal CA {suffix}", key, pathLength: 0);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        using var issuing = request.Create(root, now - Backdate, now + CaValidity - TimeSpan.FromDays(1), serial);

        // The key first: a certificate without its key is never left behind.
        data.WritePrivate(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        data.WritePrivate(certificatePath, System.Text.Encoding.ASCII.GetBytes(
            issuing.ExportCertificatePem() + "\n" + root.ExportCertificatePem() + "\n"));
    }

    private static CertificateRequest CaRequest(string subject, ECDsa key, int pathLength)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static X500DistinguishedName CommonName(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        return builder.Build();
    }
}
