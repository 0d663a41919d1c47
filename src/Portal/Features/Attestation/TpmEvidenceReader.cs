using System.Security.Cryptography;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Attestation;

/// <summary>The keys of a <see cref="TpmEvidence"/> once checked: the EK modulus, its hash, and the AK name recomputed.</summary>
internal sealed record CheckedEvidence(byte[] EkModulus, string EkHash, byte[] AkName, string AkNameHex);

/// <summary>Checks what a device says about its TPM, field by field, before any challenge is made for it.</summary>
internal static class TpmEvidenceReader
{
    /// <summary>The AK must be a restricted signing key that cannot leave its TPM and was made inside it.</summary>
    private const TpmObjectAttributes RequiredAkAttributes =
        TpmObjectAttributes.Restricted | TpmObjectAttributes.Sign | TpmObjectAttributes.FixedTpm
        | TpmObjectAttributes.FixedParent | TpmObjectAttributes.SensitiveDataOrigin;

    /// <summary>The EK hash: lower-case hex SHA-256 of the EK public key's DER SubjectPublicKeyInfo (shared with pre-registration).</summary>
    public static string EkHash(RSAParameters ek)
    {
        using var rsa = RSA.Create(ek);
        return Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The checked keys, or the reasons (each naming its field) why they are refused.</summary>
    public static (CheckedEvidence? Evidence, IReadOnlyList<string> Errors) Check(TpmEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var errors = new List<string>();
        var ek = ReadEk(evidence.EkPublic, errors);
        var ak = ReadAk(evidence.AkPublic, errors);
        if (evidence.EkCertificate is { } certificate && (certificate.Length > 8192 || !IsBase64(certificate)))
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

        return errors.Count > 0 ? (null, errors) : (new CheckedEvidence(ek.Value.Modulus!, EkHash(ek.Value), name, nameHex), errors);
    }

    private static RSAParameters? ReadEk(string? base64, List<string> errors)
    {
        var bytes = Decode(base64, "tpm.ekPublic", errors);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            RSAParameters parameters;
            if (bytes.Length > 2 && bytes[0] == 0x30)
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(bytes, out _);
                parameters = rsa.ExportParameters(false);
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

                parameters = area.RsaParameters;
            }

            if (parameters.Modulus is not { Length: 256 } || !parameters.Exponent.AsSpan().SequenceEqual(new byte[] { 1, 0, 1 }))
            {
                errors.Add("tpm.ekPublic: must be RSA 2048 with exponent 65537");
                return null;
            }

            return parameters;
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

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    private static string Shorten(string? text) => text is null ? "(missing)" : text.Length <= 80 ? text : text[..80] + "…";
}
