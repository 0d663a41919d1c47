using System.Security.Cryptography;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// The keys of a <see cref="TpmEvidence"/> once checked: the EK, its hash, the AK name recomputed, and the EK
/// certificate as sent (DER; null when the TPM has none). <see cref="Certificate"/> is what the portal found it to be.
/// </summary>
internal sealed record CheckedEvidence(
    TpmPublicKey Ek, string EkHash, byte[] AkName, string AkNameHex, byte[]? EkCertificate)
{
    /// <summary>The EK certificate's check against the trusted TPM manufacturer CAs (set by the portal).</summary>
    public EkCertificateCheck? Certificate { get; init; }
}

/// <summary>Checks what a device says about its TPM, field by field, before any challenge is made for it.</summary>
internal static class TpmEvidenceReader
{
    /// <summary>The AK must be a restricted signing key that cannot leave its TPM and was made inside it.</summary>
    private const TpmObjectAttributes RequiredAkAttributes =
        TpmObjectAttributes.Restricted | TpmObjectAttributes.Sign | TpmObjectAttributes.FixedTpm
        | TpmObjectAttributes.FixedParent | TpmObjectAttributes.SensitiveDataOrigin;

    /// <summary>The checked keys, or the reasons (each naming its field) why they are refused.</summary>
    public static (CheckedEvidence? Evidence, IReadOnlyList<string> Errors) Check(TpmEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var errors = new List<string>();
        var ek = ReadEk(evidence.EkPublic, errors);
        var ak = ReadAk(evidence.AkPublic, errors);
        byte[]? certificate = null;
        if (evidence.EkCertificate is { } text
            && (text.Length > 8192 || (certificate = FromBase64(text)) is null || certificate.Length == 0))
        {
            errors.Add("tpm.ekCertificate: must be base64 DER, at most 8192 characters");
        }

        if (ek is null || ak is null)
        {
            return (null, errors);
        }

        var name = ak.Name();
        var nameHex = Convert.ToHexStringLower(name);
        if (!string.Equals(nameHex, evidence.AkName, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"tpm.akName: {Shorten(evidence.AkName)} is not the name of tpm.akPublic ({nameHex})");
        }

        return errors.Count > 0
            ? (null, errors)
            : (new CheckedEvidence(ek, ek.Hash(), name, nameHex, certificate), errors);
    }

    private static TpmPublicKey? ReadEk(string? base64, List<string> errors)
    {
        var bytes = Decode(base64, "tpm.ekPublic", errors);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            TpmPublicKey key;
            if (bytes.Length > 2 && bytes[0] == 0x30)
            {
                key = TpmPublicKey.FromSubjectPublicKeyInfo(bytes);
            }
            else
            {
                var area = TpmPublicArea.Parse(bytes);
                if (!area.Attributes.HasFlag(TpmObjectAttributes.Decrypt) || !area.Attributes.HasFlag(TpmObjectAttributes.Restricted))
                {
                    errors.Add("tpm.ekPublic: not a restricted decryption key (an EK is one)");
                    return null;
                }

                if (area.SymmetricAlg != TpmPublicArea.AlgAes || area.SymmetricKeyBits != 128 || area.SymmetricMode != TpmPublicArea.AlgCfb)
                {
                    errors.Add("tpm.ekPublic: symmetric algorithm must be AES-128-CFB (the default EK template)");
                    return null;
                }

                key = area.Key;
            }

            var rsa2048 = key.Modulus is { Length: 256 } && key.Exponent.AsSpan().SequenceEqual(new byte[] { 1, 0, 1 });
            if (!key.IsEcc && !rsa2048)
            {
                errors.Add("tpm.ekPublic: must be RSA 2048 with exponent 65537, or ECC NIST P-256");
                return null;
            }

            // The point must lie on the curve: MakeCredential runs ECDH with it.
            _ = key.Hash();
            return key;
        }
        catch (Exception ex) when (ex is TpmFormatException or CryptographicException)
        {
            errors.Add($"tpm.ekPublic: {ex.Message}");
            return null;
        }
    }

    private static TpmPublicArea? ReadAk(string? base64, List<string> errors)
    {
        var bytes = Decode(base64, "tpm.akPublic", errors);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            var area = TpmPublicArea.Parse(bytes);
            var missing = RequiredAkAttributes & ~area.Attributes;
            if (missing != TpmObjectAttributes.None || area.Attributes.HasFlag(TpmObjectAttributes.Decrypt))
            {
                errors.Add($"tpm.akPublic: attributes 0x{(uint)area.Attributes:x8} are not those of an attestation key (missing {missing}; decrypt must be clear)");
                return null;
            }

            return area;
        }
        catch (TpmFormatException ex)
        {
            errors.Add($"tpm.akPublic: {ex.Message}");
            return null;
        }
    }

    private static byte[]? Decode(string? base64, string field, List<string> errors)
    {
        if (string.IsNullOrEmpty(base64) || base64.Length > 2048)
        {
            errors.Add($"{field}: missing or longer than 2048 characters");
            return null;
        }

        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            errors.Add($"{field}: not base64");
            return null;
        }
    }

    private static byte[]? FromBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    private static string Shorten(string? text) => text is null ? "(missing)" : text.Length <= 80 ? text : text[..80] + "…";
}
