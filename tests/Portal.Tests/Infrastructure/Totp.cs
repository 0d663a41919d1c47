using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// What an authenticator app computes from the key it scanned: RFC 6238 (HMAC-SHA1, 30 s steps, 6 digits) over the
/// Base32 key, written from the RFCs rather than with Identity's own code, so a test checks the portal against the
/// standard an app follows.
/// </summary>
public static class Totp
{
    /// <summary>The code for <paramref name="at"/> from a key as shown (any case, groups split by spaces).</summary>
    public static string Code(string key, DateTimeOffset at)
    {
        var counter = at.ToUnixTimeSeconds() / 30;
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, counter);
#pragma warning disable CA5350 // RFC 6238's default, and what Identity and every authenticator app use
        var hash = HMACSHA1.HashData(Base32(key), message);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var value = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset)) & 0x7fffffff) % 1_000_000;
        return value.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A 6-digit code none of those valid around <paramref name="at"/> (Identity accepts ±2 steps).</summary>
    public static string WrongCode(string key, DateTimeOffset at)
    {
        var valid = Enumerable.Range(-3, 7).Select(s => Code(key, at.AddSeconds(30 * s))).ToHashSet();
        return Enumerable.Range(0, 10).Select(i => $"{i}{i}{i}{i}{i}{i}").First(c => !valid.Contains(c));
    }

    /// <summary>RFC 4648 Base32 (A-Z, 2-7), spaces and padding ignored.</summary>
    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var chars = text.ToUpperInvariant().Where(c => c is not (' ' or '=' or '-')).ToArray();
        var bytes = new List<byte>(chars.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in chars)
        {
            var index = alphabet.IndexOf(c, StringComparison.Ordinal);
            if (index < 0)
            {
                throw new FormatException($"'{c}' is not a Base32 character");
            }

            buffer = (buffer << 5) | index;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
                buffer &= (1 << bits) - 1;
            }
        }

        return [.. bytes];
    }
}
