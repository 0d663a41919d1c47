using System.Security.Cryptography;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Zincati's node identity. Zincati sends <c>node_uuid</c> to the graph and as the FleetLock
/// <c>id</c>; by default it is <c>sd_id128_get_machine_app_specific()</c> of the machine-id with
/// Zincati's application id (coreos/zincati src/identity/mod.rs: <c>APP_ID</c>, sent as
/// <c>lower_hex()</c>). systemd computes an app-specific id (src/libsystemd/sd-id128/sd-id128.c,
/// <c>sd_id128_get_app_specific</c>) as HMAC-SHA256 keyed with the 16 machine-id bytes over the 16
/// app-id bytes, keeps the first 16 bytes and stamps them as a random (version 4, variant DCE) UUID
/// (<c>id128_make_v4_uuid</c>). Same as <c>systemd-id128 machine-id --app-specific=de35106b…</c>.
/// </summary>
public static class NodeUuid
{
    public const string ZincatiAppId = "de35106b6ec24688b63afddaa156679b";

    /// <summary>The app-specific id of <paramref name="id128"/> (32 hex digits, any case, dashes allowed); null when it is not an id128.</summary>
    public static string? AppSpecific(string? id128, string appId)
    {
        if (Parse(id128) is not { } key || Parse(appId) is not { } app)
        {
            return null;
        }

        var mac = HMACSHA256.HashData(key, app);
        var id = mac.AsSpan(0, 16).ToArray();
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return Convert.ToHexStringLower(id);
    }

    /// <summary>Zincati's default node UUID on a machine with this <c>/etc/machine-id</c>.</summary>
    public static string? FromMachineId(string? machineId) => AppSpecific(machineId, ZincatiAppId);

    /// <summary>
    /// The canonical form of a node UUID as it arrives (Zincati sends lower-case hex; a configured
    /// <c>node_uuid</c> may be written with dashes or upper case): 32 lower-case hex digits, or null.
    /// </summary>
    public static string? Normalize(string? value) => Parse(value) is { } bytes ? Convert.ToHexStringLower(bytes) : null;

    private static byte[]? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var hex = value.Trim().Replace("-", string.Empty, StringComparison.Ordinal);
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit)
            ? Convert.FromHexString(hex)
            : null;
    }
}
