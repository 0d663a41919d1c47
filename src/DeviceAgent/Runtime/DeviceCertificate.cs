using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// The device's TLS client identity: an ECDSA P-256 key the agent makes for itself and keeps in its state (the private
/// key never leaves the device), the certificate request sent with each enrolment request, and the certificate the
/// portal answers, presented on every MQTTS connection while it is valid.
/// </summary>
public static class DeviceCertificate
{
    /// <summary>A new private key, PKCS#8 PEM.</summary>
    public static string NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>A PKCS#10 request (PEM) for <paramref name="keyPem"/>; the portal decides the subject.</summary>
    public static string Request(string keyPem, string subject)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(keyPem);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(subject);
        return new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }

    /// <summary>
    /// The certificate with its key, for a TLS connection; null when there is none, it is not for this key, or it is
    /// not valid at <paramref name="now"/> (then the password is all the device has).
    /// </summary>
    public static X509Certificate2? Load(string? certificatePem, string? keyPem, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(certificatePem) || string.IsNullOrEmpty(keyPem))
        {
            return null;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            if (now.UtcDateTime < certificate.NotBefore.ToUniversalTime()
                || now.UtcDateTime > certificate.NotAfter.ToUniversalTime())
            {
                certificate.Dispose();
                return null;
            }

            return certificate;
        }
        catch (CryptographicException)
        {
            return null;   // not a certificate, or not the key's
        }
    }

    /// <summary>Whether <paramref name="certificatePem"/> certifies the key of <paramref name="keyPem"/>.</summary>
    public static bool Certifies(string? certificatePem, string? keyPem)
    {
        if (string.IsNullOrEmpty(certificatePem) || string.IsNullOrEmpty(keyPem))
        {
            return false;
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            return certificate.HasPrivateKey;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
