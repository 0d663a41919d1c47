using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// A key's TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4) as parsed from a TPM2B_PUBLIC: RSA 2048 or ECC NIST P-256, with
/// the bytes it came from so the TPM name can be recomputed: nameAlg || H_nameAlg(TPMT_PUBLIC).
/// </summary>
internal sealed record TpmPublicArea(
    ushort Type,
    ushort NameAlg,
    TpmObjectAttributes Attributes,
    ushort SymmetricAlg,
    ushort SymmetricKeyBits,
    ushort SymmetricMode,
    TpmPublicKey Key,
    byte[] Marshalled)
{
    public const ushort AlgRsa = 0x0001;
    public const ushort AlgSha256 = 0x000B;
    public const ushort AlgNull = 0x0010;
    public const ushort AlgAes = 0x0006;
    public const ushort AlgCfb = 0x0043;
    public const ushort AlgEcc = 0x0023;
    public const ushort CurveNistP256 = 0x0003;

    /// <summary>The TPM name: nameAlg (big-endian) then SHA-256 of the marshalled TPMT_PUBLIC.</summary>
    public byte[] Name()
    {
        var name = new byte[2 + 32];
        BinaryPrimitives.WriteUInt16BigEndian(name, NameAlg);
        SHA256.HashData(Marshalled, name.AsSpan(2));
        return name;
    }

    /// <summary>
    /// Parses a TPM2B_PUBLIC holding an RSA 2048 or ECC NIST P-256 key with a SHA-256 name algorithm; anything else
    /// is refused with the reason.
    /// </summary>
    public static TpmPublicArea Parse(ReadOnlySpan<byte> tpm2bPublic)
    {
        var reader = new TpmReader(tpm2bPublic);
        var size = reader.U16("size");
        if (size != tpm2bPublic.Length - 2)
        {
            throw new TpmFormatException($"TPM2B_PUBLIC size field says {size} bytes but {tpm2bPublic.Length - 2} follow");
        }

        var type = reader.U16("type");
        if (type is not (AlgRsa or AlgEcc))
        {
            throw new TpmFormatException($"type 0x{type:x4} is neither RSA (0x0001) nor ECC (0x0023)");
        }

        var nameAlg = reader.U16("nameAlg");
        if (nameAlg != AlgSha256)
        {
            throw new TpmFormatException($"nameAlg 0x{nameAlg:x4} is not SHA-256 (0x000b)");
        }

        var attributes = (TpmObjectAttributes)reader.U32("objectAttributes");
        reader.Sized("authPolicy", 64);
        var symmetric = reader.U16("parameters.symmetric.algorithm");
        ushort symBits = 0, symMode = 0;
        if (symmetric != AlgNull)
        {
            symBits = reader.U16("parameters.symmetric.keyBits");
            symMode = reader.U16("parameters.symmetric.mode");
        }

        var scheme = reader.U16("parameters.scheme");
        if (scheme != AlgNull)
        {
            reader.U16("parameters.scheme.hashAlg");
        }

        var key = type == AlgRsa ? ReadRsa(ref reader) : ReadEcc(ref reader);
        if (!reader.AtEnd)
        {
            throw new TpmFormatException($"{reader.Remaining} bytes after the public area");
        }

        return new TpmPublicArea(
            type, nameAlg, attributes, symmetric, symBits, symMode, key, tpm2bPublic[2..].ToArray());
    }

    private static TpmPublicKey ReadRsa(ref TpmReader reader)
    {
        var keyBits = reader.U16("parameters.keyBits");
        var exponent = reader.U32("parameters.exponent");
        var modulus = reader.Sized("unique.rsa", 512).ToArray();
        if (keyBits != 2048 || modulus.Length != 256)
        {
            throw new TpmFormatException($"RSA key of {keyBits} bits with a {modulus.Length}-byte modulus; only RSA 2048 is supported");
        }

        // Exponent 0 means the default 65537 (Part 2 §12.2.3.5).
        var exponentBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(exponentBytes, exponent == 0 ? 65537u : exponent);
        return TpmPublicKey.Rsa(modulus, exponentBytes.AsSpan().TrimStart((byte)0).ToArray());
    }

    private static TpmPublicKey ReadEcc(ref TpmReader reader)
    {
        var curve = reader.U16("parameters.curveID");
        var kdf = reader.U16("parameters.kdf.scheme");
        if (kdf != AlgNull)
        {
            reader.U16("parameters.kdf.hashAlg");
        }

        var x = reader.Sized("unique.ecc.x", 128).ToArray();
        var y = reader.Sized("unique.ecc.y", 128).ToArray();
        if (curve != CurveNistP256 || x.Length > 32 || y.Length > 32)
        {
            throw new TpmFormatException($"ECC key on curve 0x{curve:x4}; only NIST P-256 (0x0003) is supported");
        }

        return TpmPublicKey.Ecc(x, y);
    }
}

/// <summary>TPMA_OBJECT bits the portal checks (Part 2 §8.3).</summary>
[Flags]
internal enum TpmObjectAttributes : uint
{
    None = 0,
    FixedTpm = 0x2,
    FixedParent = 0x10,
    SensitiveDataOrigin = 0x20,
    UserWithAuth = 0x40,
    AdminWithPolicy = 0x80,
    Restricted = 0x10000,
    Decrypt = 0x20000,
    Sign = 0x40000,
}

/// <summary>A TPM structure that does not parse; the message names the field.</summary>
internal sealed class TpmFormatException(string message) : Exception(message);

/// <summary>Big-endian reader over TPM marshalled bytes, naming the field on underrun.</summary>
internal ref struct TpmReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _offset;

    public readonly bool AtEnd => _offset == _data.Length;

    public readonly int Remaining => _data.Length - _offset;

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16BigEndian(Take(2, field));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, field));

    public ReadOnlySpan<byte> Sized(string field, int max)
    {
        var size = U16(field + ".size");
        if (size > max)
        {
            throw new TpmFormatException($"{field}: {size} bytes, at most {max}");
        }

        return Take(size, field);
    }

    public ReadOnlySpan<byte> Take(int count, string field)
    {
        if (_data.Length - _offset < count)
        {
            throw new TpmFormatException($"{field}: truncated at byte {_offset} ({count} needed, {_data.Length - _offset} left)");
        }

        var slice = _data.Slice(_offset, count);
        _offset += count;
        return slice;
    }
}
