using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// TPM2_MakeCredential in software (TPM 2.0 Part 1 §24.4–24.5; Part 2 TPM2B_ID_OBJECT and
/// TPM2B_ENCRYPTED_SECRET), so the portal needs no TPM: only the TPM holding the EK's private key,
/// with the object named <c>objectName</c> loaded, can recover <c>secret</c> with TPM2_ActivateCredential.
/// The seed reaches the TPM RSA-OAEP encrypted to an RSA EK, or through ECDH with an ECC EK (Part 1 Annex C.6.4).
/// </summary>
internal static class CredentialMaker
{
    private const int SeedBytes = 32; // the EK's nameAlg digest size (SHA-256)

    /// <param name="ek">The EK: RSA 2048 (exponent 65537) or ECC NIST P-256.</param>
    /// <param name="objectName">The AK name (nameAlg || digest).</param>
    /// <param name="secret">At most 32 bytes (a TPM2B_DIGEST under SHA-256).</param>
    /// <returns>TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, both with their size prefix.</returns>
    public static (byte[] IdObject, byte[] EncryptedSecret) Make(
        TpmPublicKey ek, ReadOnlySpan<byte> objectName, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(ek);
        if (secret.Length is 0 or > 32)
        {
            throw new ArgumentException("The credential secret must be 1-32 bytes.", nameof(secret));
        }

        var (seedBytes, encryptedSeed) = ek.IsEcc ? EcdhSeed(ek) : RsaSeed(ek);

        // encIdentity = CFB(symKey, IV = 0, TPM2B_DIGEST(secret)); the symmetric key is bound to the object's name.
        var symKey = KdfA(seedBytes, "STORAGE", objectName, [], 128);
        var plain = new byte[2 + secret.Length];
        BinaryPrimitives.WriteUInt16BigEndian(plain, (ushort)secret.Length);
        secret.CopyTo(plain.AsSpan(2));
        var encIdentity = AesCfbEncrypt(symKey, plain);

        var hmacKey = KdfA(seedBytes, "INTEGRITY", [], [], 256);
        byte[] message = [.. encIdentity, .. objectName];
        var integrity = HMACSHA256.HashData(hmacKey, message);

        // TPM2B_ID_OBJECT { size; TPM2B_DIGEST integrityHMAC; encIdentity (no size of its own) }.
        var idObject = new byte[2 + 2 + integrity.Length + encIdentity.Length];
        BinaryPrimitives.WriteUInt16BigEndian(idObject, (ushort)(idObject.Length - 2));
        BinaryPrimitives.WriteUInt16BigEndian(idObject.AsSpan(2), (ushort)integrity.Length);
        integrity.CopyTo(idObject.AsSpan(4));
        encIdentity.CopyTo(idObject.AsSpan(4 + integrity.Length));

        var encryptedSecret = new byte[2 + encryptedSeed.Length];
        BinaryPrimitives.WriteUInt16BigEndian(encryptedSecret, (ushort)encryptedSeed.Length);
        encryptedSeed.CopyTo(encryptedSecret.AsSpan(2));
        return (idObject, encryptedSecret);
    }

    /// <summary>A random seed, RSAES-OAEP encrypted to the EK with the label "IDENTITY".</summary>
    private static (byte[] Seed, byte[] Encrypted) RsaSeed(TpmPublicKey ek)
    {
        var seed = RandomNumberGenerator.GetBytes(SeedBytes);
        return (seed, OaepEncrypt(ek.Modulus, seed, "IDENTITY\0"u8));
    }

    /// <summary>
    /// One-pass ECDH (Part 1 Annex C.6.4): an ephemeral P-256 key, Z = x of (ephemeral private × EK point),
    /// seed = KDFe(Z, "IDENTITY", ephemeral x, EK x); the TPM gets the ephemeral point as a TPMS_ECC_POINT.
    /// </summary>
    private static (byte[] Seed, byte[] Encrypted) EcdhSeed(TpmPublicKey ek)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var ekKey = ECDiffieHellman.Create(ek.EcParameters);
        var z = ephemeral.DeriveRawSecretAgreement(ekKey.PublicKey);
        var q = ephemeral.ExportParameters(false).Q;
        var seed = KdfE(z, "IDENTITY", q.X, ek.X, SeedBytes * 8);

        // TPMS_ECC_POINT { TPM2B x; TPM2B y }.
        var point = new byte[2 + q.X!.Length + 2 + q.Y!.Length];
        BinaryPrimitives.WriteUInt16BigEndian(point, (ushort)q.X.Length);
        q.X.CopyTo(point, 2);
        BinaryPrimitives.WriteUInt16BigEndian(point.AsSpan(2 + q.X.Length), (ushort)q.Y.Length);
        q.Y.CopyTo(point, 4 + q.X.Length);
        return (seed, point);
    }

    /// <summary>
    /// KDFe with SHA-256 (Part 1 §11.4.10.3, NIST SP 800-56A concatenation KDF):
    /// SHA-256(counter || Z || label || 00 || partyU || partyV) for counter = 1, 2, …
    /// </summary>
    public static byte[] KdfE(
        ReadOnlySpan<byte> z, string label, ReadOnlySpan<byte> partyU, ReadOnlySpan<byte> partyV, int bits)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label);
        var result = new byte[(bits + 7) / 8];
        var input = new byte[4 + z.Length + labelBytes.Length + 1 + partyU.Length + partyV.Length];
        z.CopyTo(input.AsSpan(4));
        labelBytes.CopyTo(input.AsSpan(4 + z.Length));
        partyU.CopyTo(input.AsSpan(4 + z.Length + labelBytes.Length + 1));
        partyV.CopyTo(input.AsSpan(input.Length - partyV.Length));
        var produced = 0;
        for (uint counter = 1; produced < result.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input, counter);
            var block = SHA256.HashData(input);
            var take = Math.Min(block.Length, result.Length - produced);
            block.AsSpan(0, take).CopyTo(result.AsSpan(produced));
            produced += take;
        }

        return result;
    }

    /// <summary>KDFa with HMAC-SHA-256 (Part 1 §11.4.10.2): counter || label || 00 || contextU || contextV || bits.</summary>
    public static byte[] KdfA(ReadOnlySpan<byte> key, string label, ReadOnlySpan<byte> contextU, ReadOnlySpan<byte> contextV, int bits)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label);
        var result = new byte[(bits + 7) / 8];
        var produced = 0;
        for (uint counter = 1; produced < result.Length; counter++)
        {
            var input = new byte[4 + labelBytes.Length + 1 + contextU.Length + contextV.Length + 4];
            BinaryPrimitives.WriteUInt32BigEndian(input, counter);
            labelBytes.CopyTo(input.AsSpan(4));
            var offset = 4 + labelBytes.Length + 1; // the label's terminating zero
            contextU.CopyTo(input.AsSpan(offset));
            contextV.CopyTo(input.AsSpan(offset + contextU.Length));
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(input.Length - 4), (uint)bits);
            var block = HMACSHA256.HashData(key, input);
            var take = Math.Min(block.Length, result.Length - produced);
            block.AsSpan(0, take).CopyTo(result.AsSpan(produced));
            produced += take;
        }

        return result;
    }

    /// <summary>AES CFB-128 with a zero IV over any length (the last block is partial), as the TPM does.</summary>
    public static byte[] AesCfbEncrypt(byte[] key, ReadOnlySpan<byte> plain)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var output = new byte[plain.Length];
        Span<byte> feedback = stackalloc byte[16];
        Span<byte> stream = stackalloc byte[16];
        for (var offset = 0; offset < plain.Length; offset += 16)
        {
            aes.EncryptEcb(feedback, stream, PaddingMode.None);
            var n = Math.Min(16, plain.Length - offset);
            for (var i = 0; i < n; i++)
            {
                output[offset + i] = (byte)(plain[offset + i] ^ stream[i]);
            }

            if (n == 16)
            {
                output.AsSpan(offset, 16).CopyTo(feedback);
            }
        }

        return output;
    }

    /// <summary>
    /// RSAES-OAEP (RFC 8017 §7.1.1, SHA-256, MGF1-SHA-256) with a label, which .NET's RSA API cannot
    /// take. Public-key operation only, so the textbook modular exponentiation leaks nothing secret.
    /// </summary>
    public static byte[] OaepEncrypt(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> message, ReadOnlySpan<byte> label)
    {
        var k = modulus.Length;
        const int hLen = 32;
        if (message.Length > k - 2 * hLen - 2)
        {
            throw new ArgumentException("Message too long for OAEP.", nameof(message));
        }

        var db = new byte[k - hLen - 1];
        SHA256.HashData(label, db);
        db[db.Length - message.Length - 1] = 0x01;
        message.CopyTo(db.AsSpan(db.Length - message.Length));
        var seed = RandomNumberGenerator.GetBytes(hLen);
        Xor(db, Mgf1(seed, db.Length));
        Xor(seed, Mgf1(db, hLen));

        var em = new byte[k];
        seed.CopyTo(em, 1);
        db.CopyTo(em, 1 + hLen);
        var m = new BigInteger(em, isUnsigned: true, isBigEndian: true);
        var n = new BigInteger(modulus, isUnsigned: true, isBigEndian: true);
        var c = BigInteger.ModPow(m, 65537, n).ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[k];
        c.CopyTo(result, k - c.Length);
        return result;
    }

    private static byte[] Mgf1(ReadOnlySpan<byte> seed, int length)
    {
        var mask = new byte[length];
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input);
        for (uint counter = 0, produced = 0; produced < length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(seed.Length), counter);
            var block = SHA256.HashData(input);
            var take = (int)Math.Min(block.Length, length - produced);
            block.AsSpan(0, take).CopyTo(mask.AsSpan((int)produced));
            produced += (uint)take;
        }

        return mask;
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> mask)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= mask[i];
        }
    }
}
