using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// Signed, expiring per-device URLs for <c>/ignition</c>: <c>sig</c> is HMAC-SHA256 over the device id,
/// <c>exp</c> (Unix seconds) and what the URL may render, with a 256-bit key kept in the data directory
/// (<c>keys/ignition-url.key</c>). A URL for <see cref="SecretMode.Omit"/> carries <c>secrets=omit</c>, which the
/// signature covers: it can be handed to anyone who asks for a device by MAC (<c>/boot.ipxe</c>) and never
/// renders a secret. A <see cref="SecretMode.Reveal"/> URL goes only to the device over its own authenticated
/// channel and to people who may manage devices (see docs/decisions/0010).
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
        _key = data.Key("ignition-url.key");
    }

    /// <summary>The value of <c>secrets=</c> in a URL that renders no secrets.</summary>
    public const string OmitSecrets = "omit";

    /// <summary>
    /// The signed URL of a device's config rendering secrets as <paramref name="secrets"/>
    /// (<see cref="SecretMode.Reveal"/> or <see cref="SecretMode.Omit"/>), valid for
    /// <see cref="ConfigOptions.SignedUrlLifetimeSeconds"/> (or <paramref name="lifetime"/>).
    /// </summary>
    public Uri SignedUrl(Guid deviceId, SecretMode secrets, TimeSpan? lifetime = null)
    {
        if (secrets is not (SecretMode.Reveal or SecretMode.Omit))
        {
            throw new ArgumentOutOfRangeException(nameof(secrets), secrets, "A config reveals or omits secrets.");
        }

        var exp = _time.GetUtcNow().Add(lifetime ?? TimeSpan.FromSeconds(_options.Value.SignedUrlLifetimeSeconds)).ToUnixTimeSeconds();
        var scope = secrets == SecretMode.Omit ? $"&secrets={OmitSecrets}" : string.Empty;
        var query = $"ignition?device={deviceId:N}{scope}&exp={exp.ToString(CultureInfo.InvariantCulture)}";
        return new Uri(_urls.Get(), $"{query}&sig={Sign(deviceId, exp, secrets)}");
    }

    /// <summary>
    /// Checks a signature over the device, expiry and <c>secrets=</c> value (<paramref name="secrets"/>, null or
    /// <see cref="OmitSecrets"/>); <paramref name="granted"/> is what the URL may render. The reason says what is
    /// wrong when it fails.
    /// </summary>
    public bool Verify(
        Guid deviceId, string? exp, string? secrets, string? sig, out SecretMode granted, out string reason)
    {
        reason = string.Empty;
        granted = SecretMode.Omit;
        if (!long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || string.IsNullOrEmpty(sig))
        {
            reason = "A signed URL needs both exp (Unix seconds) and sig.";
            return false;
        }

        if (secrets is not (null or OmitSecrets))
        {
            reason = $"secrets='{secrets}' is not a value this portal signs (only '{OmitSecrets}').";
            return false;
        }

        var mode = secrets is null ? SecretMode.Reveal : SecretMode.Omit;
        var expected = Encoding.ASCII.GetBytes(Sign(deviceId, expires, mode));
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

        granted = mode;
        return true;
    }

    /// <summary>
    /// Reveal URLs sign <c>id.exp</c> (so a URL already retained in a DesiredConfig stays valid), Omit URLs
    /// <c>id.exp.omit</c>.
    /// </summary>
    private string Sign(Guid deviceId, long exp, SecretMode secrets)
    {
        var scope = secrets == SecretMode.Omit ? "." + OmitSecrets : string.Empty;
        var message = $"{deviceId:N}.{exp.ToString(CultureInfo.InvariantCulture)}{scope}";
        return Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(message)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
