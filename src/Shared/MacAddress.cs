using System.Globalization;

namespace Fleet.Shared;

/// <summary>MAC address parsing in the notations people and tools use.</summary>
public static class MacAddress
{
    /// <summary>
    /// Normalises a MAC address written as <c>52:54:00:AB:CD:EF</c>, <c>52-54-00-ab-cd-ef</c>,
    /// <c>5254.00ab.cdef</c> or <c>525400abcdef</c> to lower-case colon-separated form.
    /// </summary>
    /// <param name="value">The text to parse.</param>
    /// <param name="normalized">The normalised address.</param>
    /// <returns>Whether <paramref name="value"/> is a 48-bit MAC address.</returns>
    public static bool TryNormalize(string? value, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 17)
        {
            return false;
        }

        Span<char> hex = stackalloc char[12];
        var count = 0;
        foreach (var c in value.Trim())
        {
            if (c is ':' or '-' or '.')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || count == 12)
            {
                return false;
            }

            hex[count++] = char.ToLowerInvariant(c);
        }

        if (count != 12)
        {
            return false;
        }

        normalized = string.Create(17, hex.ToArray(), static (span, h) =>
        {
            for (var i = 0; i < 6; i++)
            {
                span[i * 3] = h[i * 2];
                span[(i * 3) + 1] = h[(i * 2) + 1];
                if (i < 5)
                {
                    span[(i * 3) + 2] = ':';
                }
            }
        });
        return true;
    }

    /// <summary>Whether the address is all zeros (loopback and some virtual interfaces report it).</summary>
    /// <param name="normalized">A normalised address.</param>
    /// <returns><see langword="true"/> for <c>00:00:00:00:00:00</c>.</returns>
    public static bool IsZero(string normalized) => normalized == "00:00:00:00:00:00";

    /// <summary>Formats six bytes as a normalised MAC address.</summary>
    /// <param name="bytes">Exactly six bytes.</param>
    /// <returns>The lower-case colon-separated address.</returns>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 6)
        {
            throw new ArgumentException("A MAC address has six bytes.", nameof(bytes));
        }

        return string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
