using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// What the portal keeps of a device certificate it issued: the PEM (to answer it again), the serial the broker
/// accepts, its expiry and SHA-256 fingerprint (DER, lower-case hex) for the credential card.
/// </summary>
public sealed record IssuedCertificate(string Pem, string Serial, DateTimeOffset NotAfter, string Fingerprint)
{
    /// <summary>Longest PEM kept (an ECDSA P-256 device certificate is about 700 characters, RSA 4096 about 2,000).
    /// </summary>
    public const int MaxPemLength = 4096;

    /// <summary>A 20-octet serial (the RFC 5280 maximum) in hex.</summary>
    public const int MaxSerialLength = 40;

    public static IssuedCertificate Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new(certificate.ExportCertificatePem(), certificate.SerialNumber,
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), FingerprintOf(certificate));
    }

    /// <summary>The certificate in <paramref name="pem"/>; null when it is not one.</summary>
    public static IssuedCertificate? Read(string? pem)
    {
        if (string.IsNullOrEmpty(pem))
        {
            return null;
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            return Of(certificate);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public static string FingerprintOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }
}
