using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// Signed, expiring per-device URLs for <c>/ignition</c>: <c>sig</c> is HMAC-SHA256 over the device id
/// and <c>exp</c> (Unix seconds) with a 256-bit key kept in the data directory (<c>keys/ignition-url.key</c>).
/// </summary>
public sealed class IgnitionUrlSigner
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly PortalPublicUrl _urls;
    private readonly IOptions<ConfigOptions> _options;

    public IgnitionUrlSigner(FleetDataDirectory data, TimeProvider time, PortalPublicUrl urls, IOptions<ConfigOptions> options)
    {
        ArgumentNullException.ThrowIfNull(data);
        _time = time;
        _urls = urls;
        _options = options;
        var path = data.Combine("keys", "ignition-url.key");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            try
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                file.Write(RandomNumberGenerator.GetBytes(32));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance wrote it first; use theirs.
            }
        }

        _key = File.ReadAllBytes(path);
    }

    /// <summary>The signed URL of a device's config, valid for <see cref="ConfigOptions.SignedUrlLifetimeSeconds"/> (or <paramref name="lifetime"/>).</summary>
    public Uri SignedUrl(Guid deviceId, TimeSpan? lifetime = null)
    {
        var exp = _time.GetUtcNow().Add(lifetime ?? TimeSpan.FromSeconds(_options.Value.SignedUrlLifetimeSeconds)).ToUnixTimeSeconds();
        return new Uri(_urls.Get(), $"ignition?device={deviceId:N}&exp={exp.ToString(CultureInfo.InvariantCulture)}&sig={Sign(deviceId, exp)}");
    }

    /// <summary>Checks a signature; the reason says what is wrong when it fails.</summary>
    public bool Verify(Guid deviceId, string? exp, string? sig, out string reason)
    {
        reason = string.Empty;
        if (!long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || string.IsNullOrEmpty(sig))
        {
            reason = "A signed URL needs both exp (Unix seconds) and sig.";
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(deviceId, expires));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(sig)))
        {
            reason = "The signature does not match this device and expiry.";
            return false;
        }

        if (_time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            reason = $"The signed URL expired at {DateTimeOffset.FromUnixTimeSeconds(expires):u}.";
            return false;
        }

        return true;
    }

    private string Sign(Guid deviceId, long exp) =>
        Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{deviceId:N}.{exp.ToString(CultureInfo.InvariantCulture)}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
