using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// A TPM key's public part as the portal accepts it: RSA 2048 (modulus and exponent) or ECC NIST P-256 (the point,
/// each coordinate 32 bytes).
/// </summary>
internal sealed class TpmPublicKey
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const int P256Bytes = 32;

    private TpmPublicKey(byte[]? modulus, byte[]? exponent, byte[]? x, byte[]? y)
    {
        Modulus = modulus;
        Exponent = exponent;
        X = x;
        Y = y;
    }

    /// <summary>The RSA modulus (big-endian), or null for an ECC key.</summary>
    public byte[]? Modulus { get; }

    /// <summary>The RSA exponent (big-endian, no leading zeros), or null for an ECC key.</summary>
    public byte[]? Exponent { get; }

    /// <summary>The ECC point's x coordinate (32 bytes), or null for an RSA key.</summary>
    public byte[]? X { get; }

    /// <summary>The ECC point's y coordinate (32 bytes), or null for an RSA key.</summary>
    public byte[]? Y { get; }

    public bool IsEcc => X is not null;

    /// <summary>What a person reads: <c>RSA 2048</c> or <c>ECC NIST P-256</c>.</summary>
    public string Algorithm => IsEcc ? "ECC NIST P-256" : $"RSA {Modulus!.Length * 8}";

    public ECParameters EcParameters => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = X, Y = Y },
    };

    public static TpmPublicKey Rsa(byte[] modulus, byte[] exponent) => new(modulus, exponent, null, null);

    /// <summary>An ECC P-256 point; shorter coordinates (leading zeros dropped) are padded to 32 bytes.</summary>
    public static TpmPublicKey Ecc(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => new(null, null, Pad(x), Pad(y));

    /// <summary>Reads a DER SubjectPublicKeyInfo holding an RSA or NIST P-256 key.</summary>
    /// <exception cref="CryptographicException">Not a SubjectPublicKeyInfo of either kind.</exception>
    public static TpmPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki) =>
        From(PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _));

    /// <summary>The key of a certificate's SubjectPublicKeyInfo.</summary>
    /// <exception cref="CryptographicException">Neither RSA nor NIST P-256.</exception>
    public static TpmPublicKey From(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        switch (key.Oid.Value)
        {
            case RsaOid:
                using (var rsa = key.GetRSAPublicKey() ?? throw new CryptographicException("not an RSA key"))
                {
                    var p = rsa.ExportParameters(false);
                    return Rsa(p.Modulus!, p.Exponent.AsSpan().TrimStart((byte)0).ToArray());
                }

            case EcOid:
                using (var ec = key.GetECDiffieHellmanPublicKey() ?? throw new CryptographicException("not an EC key"))
                {
                    var p = ec.ExportParameters(false);
                    if (p.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                    {
                        var curve = p.Curve.Oid?.FriendlyName ?? p.Curve.Oid?.Value ?? "(explicit)";
                        throw new CryptographicException($"EC curve {curve} is not NIST P-256");
                    }

                    return Ecc(p.Q.X, p.Q.Y);
                }

            default:
                throw new CryptographicException($"key algorithm {key.Oid.Value} is neither RSA nor EC");
        }
    }

    /// <summary>
    /// DER SubjectPublicKeyInfo (RSA: rsaEncryption; ECC: id-ecPublicKey, named curve, uncompressed point).
    /// </summary>
    public byte[] SubjectPublicKeyInfo()
    {
        if (IsEcc)
        {
            using var ec = ECDiffieHellman.Create(EcParameters);
            return ec.ExportSubjectPublicKeyInfo();
        }

        using var rsa = RSA.Create(new RSAParameters { Modulus = Modulus, Exponent = Exponent });
        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The EK hash: lower-case hex SHA-256 of <see cref="SubjectPublicKeyInfo"/>.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(SubjectPublicKeyInfo()));

    /// <summary>Whether <paramref name="other"/> is the same key (modulus and exponent, or point).</summary>
    public bool SameKeyAs(TpmPublicKey other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return IsEcc == other.IsEcc && (IsEcc
            ? X.AsSpan().SequenceEqual(other.X) && Y.AsSpan().SequenceEqual(other.Y)
            : Modulus.AsSpan().SequenceEqual(other.Modulus) && Exponent.AsSpan().SequenceEqual(other.Exponent));
    }

    private static byte[] Pad(ReadOnlySpan<byte> coordinate)
    {
        if (coordinate.Length > P256Bytes)
        {
            throw new TpmFormatException($"ECC coordinate of {coordinate.Length} bytes; NIST P-256 has {P256Bytes}");
        }

        var padded = new byte[P256Bytes];
        coordinate.CopyTo(padded.AsSpan(P256Bytes - coordinate.Length));
        return padded;
    }
}
