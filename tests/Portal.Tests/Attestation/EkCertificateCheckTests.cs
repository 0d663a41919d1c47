using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Features.Attestation;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>
/// <see cref="EkCertificateVerifier.Check(byte[], TpmPublicKey, EkTrustAnchors, DateTimeOffset)"/> on certificates
/// made here with the extensions TPM makers put in EK certificates: what passes and what does not, in milliseconds.
/// </summary>
public sealed class EkCertificateCheckTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly RSA _rootKey = RSA.Create(2048);
    private readonly X509Certificate2 _root;
    private readonly RSA _ek = RSA.Create(2048);

    public EkCertificateCheckTests()
    {
        var request = new CertificateRequest(
            "CN=Test TPM Root", _rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        _root = request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(10));
    }

    private TpmPublicKey Ek => TpmPublicKey.Rsa(_ek.ExportParameters(false).Modulus!, [1, 0, 1]);

    private EkTrustAnchors Anchors => new([_root], []);

    [Fact]
    public void CriticalSubjectDirectoryAttributes_OpenSslCannotReadIt_StillVerifies()
    {
        var der = EkCertificate(critical: SubjectDirectoryAttributes());

        // The premise: X509Chain alone calls this chain bad for the critical TCG extension.
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.False(chain.Build(certificate));
        Assert.Contains(chain.ChainStatus, s => s.Status == X509ChainStatusFlags.HasNotSupportedCriticalExtension);

        var check = EkCertificateVerifier.Check(der, Ek, Anchors, Now);

        Assert.True(check.Verified, check.Problem);
        Assert.Equal("CN=Test TPM Root", check.Issuer);
    }

    [Fact]
    public void CriticalTpmSubjectAltName_Verifies()
    {
        var check = EkCertificateVerifier.Check(EkCertificate(critical: TpmSubjectAltName()), Ek, Anchors, Now);

        Assert.True(check.Verified, check.Problem);
    }

    [Fact]
    public void CriticalUnknownExtension_NotVerified()
    {
        var check = EkCertificateVerifier.Check(
            EkCertificate(critical: new X509Extension("1.3.6.1.4.1.55555.1", [0x05, 0x00], true)), Ek, Anchors, Now);

        Assert.False(check.Verified);
        Assert.Contains("HasNotSupportedCriticalExtension", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_NotVerified()
    {
        var check = EkCertificateVerifier.Check(EkCertificate(notAfter: Now.AddDays(-1)), Ek, Anchors, Now);

        Assert.Contains("NotTimeValid", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherKey_MismatchWhateverTheChain()
    {
        using var other = RSA.Create(2048);
        var otherKey = TpmPublicKey.Rsa(other.ExportParameters(false).Modulus!, [1, 0, 1]);
        var check = EkCertificateVerifier.Check(EkCertificate(), otherKey, EkTrustAnchors.Empty, Now);

        Assert.True(check.KeyMismatch);
        Assert.Contains("another key (RSA 2048)", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCertificateOrGarbage_NotVerifiedWithReason()
    {
        Assert.Equal("the TPM has no EK certificate", EkCertificateVerifier.Check(null, Ek, Anchors, Now).Problem);
        Assert.StartsWith("the EK certificate does not parse",
            EkCertificateVerifier.Check([1, 2, 3], Ek, Anchors, Now).Problem, StringComparison.Ordinal);
    }

    private byte[] EkCertificate(X509Extension? critical = null, DateTimeOffset? notAfter = null)
    {
        // TCG EK certificates have an empty subject; the identity is in the subjectAltName.
        var request = new CertificateRequest(
            new X500DistinguishedName(string.Empty), _ek, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("2.23.133.8.1")], false));
        if (critical is not null)
        {
            request.CertificateExtensions.Add(critical);
        }

        using var certificate = request.Create(_root, Now.AddDays(-2), notAfter ?? Now.AddYears(5), [7, 1]);
        return certificate.RawData;
    }

    /// <summary>subjectDirectoryAttributes with tcg-at-tpmSpecification { "2.0", 0, 164 }.</summary>
    private static X509Extension SubjectDirectoryAttributes()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier("2.23.133.2.16");
            using (writer.PushSetOf())
            using (writer.PushSequence())
            {
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, "2.0");
                writer.WriteInteger(0);
                writer.WriteInteger(164);
            }
        }

        return new X509Extension("2.5.29.9", writer.Encode(), true);
    }

    /// <summary>subjectAltName: a directoryName with TPM manufacturer, model and version (as swtpm has it).</summary>
    private static X509Extension TpmSubjectAltName()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
        using (writer.PushSequence())
        {
            (string Oid, string Value)[] attributes =
                [("2.23.133.2.1", "id:00001014"), ("2.23.133.2.2", "swtpm"), ("2.23.133.2.3", "id:20191023")];
            foreach (var (oid, value) in attributes)
            {
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                }
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), true);
    }

    public void Dispose()
    {
        _root.Dispose();
        _rootKey.Dispose();
        _ek.Dispose();
    }
}
