using System.IO.Compression;
using System.Security.Cryptography;

namespace Fleet.DeviceAgent.Config;

/// <summary>
/// The bytes of an Ignition content source: <c>data:</c> URLs (base64 or percent-encoded) and http(s)
/// URLs, gunzipped when <c>compression</c> is <c>gzip</c>, checked against <c>verification.hash</c>
/// (<c>sha512-…</c> or <c>sha256-…</c>, of the decompressed bytes, as Ignition does).
/// </summary>
public sealed class ContentFetcher(HttpClient http)
{
    /// <summary>Largest file or config the agent fetches or inflates.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <exception cref="FormatException">Unsupported scheme or compression, malformed data URL, hash mismatch, too large.</exception>
    /// <exception cref="HttpRequestException">The server did not deliver.</exception>
    public async Task<byte[]> FetchAsync(ContentSource content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var source = content.Source ?? string.Empty;
        byte[] raw;
        if (source.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            raw = DecodeDataUrl(source);
        }
        else if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            raw = await GetAsync(new Uri(source), cancellationToken);
        }
        else
        {
            var scheme = source.Contains(':', StringComparison.Ordinal) ? source[..source.IndexOf(':', StringComparison.Ordinal)] : source;
            throw new FormatException($"source scheme '{scheme}' is not supported live (data, http and https are)");
        }

        var bytes = content.Compression switch
        {
            null => raw,
            "gzip" => Gunzip(raw),
            var other => throw new FormatException($"compression '{other}' is not supported (gzip is)"),
        };
        Verify(bytes, content.Hash);
        return bytes;
    }

    public async Task<byte[]> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {url.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        if (response.Content.Headers.ContentLength > MaxBytes)
        {
            throw new FormatException($"GET {url.GetLeftPart(UriPartial.Path)}: {response.Content.Headers.ContentLength} bytes is more than {MaxBytes}");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await ReadLimitedAsync(stream, cancellationToken);
    }

    /// <summary>RFC 2397: <c>data:[mediatype][;base64],data</c>.</summary>
    public static byte[] DecodeDataUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            throw new FormatException("data URL without ','");
        }

        var header = url[5..comma];
        var data = url[(comma + 1)..];
        if (header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Convert.FromBase64String(Uri.UnescapeDataString(data));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"data URL: invalid base64 ({ex.Message})", ex);
            }
        }

        return PercentDecode(data);
    }

    /// <summary>Throws when <paramref name="hash"/> (<c>sha512-hex</c> or <c>sha256-hex</c>) is given and does not match.</summary>
    public static void Verify(byte[] bytes, string? hash)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (hash is null)
        {
            return;
        }

        var dash = hash.IndexOf('-', StringComparison.Ordinal);
        var expected = dash < 0 ? string.Empty : hash[(dash + 1)..];
        var actual = (dash < 0 ? string.Empty : hash[..dash]) switch
        {
            "sha512" => Convert.ToHexStringLower(SHA512.HashData(bytes)),
            "sha256" => Convert.ToHexStringLower(SHA256.HashData(bytes)),
            _ => throw new FormatException($"verification hash '{hash}' is not sha512-<hex> or sha256-<hex>"),
        };
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"verification hash mismatch: expected {hash[..dash]}-{expected}, got {actual}");
        }
    }

    private static byte[] PercentDecode(string data)
    {
        var bytes = new List<byte>(data.Length);
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == '%')
            {
                if (i + 2 >= data.Length || !char.IsAsciiHexDigit(data[i + 1]) || !char.IsAsciiHexDigit(data[i + 2]))
                {
                    throw new FormatException($"data URL: bad percent escape at character {i + 1}");
                }

                bytes.Add(Convert.ToByte(data.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (char.IsHighSurrogate(data[i]) && i + 1 < data.Length)
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(data.Substring(i, 2)));
                i++;
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(data.Substring(i, 1)));
            }
        }

        return [.. bytes];
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        try
        {
            return ReadLimitedAsync(input, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (InvalidDataException ex)
        {
            throw new FormatException($"gzip: {ex.Message}", ex);
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new FormatException($"more than {MaxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
