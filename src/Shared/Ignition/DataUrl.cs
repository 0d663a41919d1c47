using System.IO.Compression;
using System.Text;

namespace Fleet.Shared.Ignition;

/// <summary>RFC 2397 <c>data:</c> URLs exactly as Butane writes them for inline and local contents.</summary>
public static class DataUrl
{
    private const int MinimumGzipOpaque = 40;

    /// <summary>
    /// Encodes <paramref name="contents"/> the way Butane's <c>MakeDataURL</c> does: the shortest of percent-encoding
    /// and base64, or gzip+base64 when that is shorter still (counting the 4 characters of <c>"gzip"</c>) and
    /// <paramref name="currentCompression"/> is empty. Returns the URL and the compression to record, or null
    /// compression when the author already chose one (the contents are then left as they are).
    /// </summary>
    /// <remarks>
    /// Go's and .NET's deflate produce different bytes, so a gzipped URL decodes to the same contents as
    /// Butane's but is not byte-identical, and near the break-even point the choice may differ.
    /// </remarks>
    public static (string Url, string? Compression) Encode(ReadOnlySpan<byte> contents, string? currentCompression = null, bool allowCompression = true)
    {
        var userCompressed = !string.IsNullOrEmpty(currentCompression);
        var opaque = "," + Escape(contents);
        var base64 = ";base64," + Convert.ToBase64String(contents);
        if (base64.Length < opaque.Length)
        {
            opaque = base64;
        }

        string? compression = userCompressed ? null : "";
        // A gzip stream is at least 20 bytes (28 in base64): below this length it can never win.
        if (!userCompressed && allowCompression && opaque.Length > MinimumGzipOpaque)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                gzip.Write(contents);
            }

            var gz = ";base64," + Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (gz.Length + "gzip".Length < opaque.Length)
            {
                opaque = gz;
                compression = "gzip";
            }
        }

        return ("data:" + opaque, compression);
    }

    /// <summary>Decodes a <c>data:</c> URL's payload (not decompressed); false when it is malformed.</summary>
    public static bool TryDecode(string url, out byte[] data)
    {
        ArgumentNullException.ThrowIfNull(url);
        data = [];
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return false;
        }

        var header = url[5..comma];
        var payload = url[(comma + 1)..];
        if (header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            var text = Encoding.Latin1.GetString(Unescape(payload, out var escapedOk));
            var buffer = new byte[text.Length];
            if (!escapedOk || !Convert.TryFromBase64String(text, buffer, out var written))
            {
                return false;
            }

            data = buffer[..written];
            return true;
        }

        data = Unescape(payload, out var valid);
        return valid;
    }

    /// <summary>Percent-encodes everything but RFC 2396 unreserved characters (alphanumerics and <c>-_.!~*'()</c>).</summary>
    public static string Escape(ReadOnlySpan<byte> contents)
    {
        var builder = new StringBuilder(contents.Length * 3);
        foreach (var b in contents)
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'!' or (byte)'~' or (byte)'*' or (byte)'\'' or (byte)'(' or (byte)')')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 15]);
            }
        }

        return builder.ToString();
    }

    private static byte[] Unescape(string text, out bool valid)
    {
        valid = true;
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
                {
                    valid = false;
                    return [];
                }

                bytes.Add((byte)Convert.ToInt32(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return [.. bytes];
    }
}
