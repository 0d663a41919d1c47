using System.Security.Cryptography;

namespace Fleet.Shared;

/// <summary>
/// The node id Zincati sends to Cincinnati (<c>node_uuid</c>) and FleetLock (<c>id</c>) servers: systemd's
/// app-specific machine id with Zincati's application id (coreos/zincati src/identity/mod.rs: <c>APP_ID</c>,
/// sent as <c>lower_hex()</c>), as <c>systemd-id128 machine-id -a de35106b6ec24688b63afddaa156679b</c> prints
/// it. The Fleet agent sends the same id, so the portal sees one id per device whichever of the two talks to
/// it, and can compute it from the machine-id it learnt at enrolment.
/// </summary>
public static class NodeUuid
{
    /// <summary>Zincati's application id, <c>de35106b6ec24688b63afddaa156679b</c>.</summary>
    public const string ZincatiAppId = "de35106b6ec24688b63afddaa156679b";

    /// <summary>Zincati's default node id on a machine with this <c>/etc/machine-id</c>.</summary>
    /// <param name="machineId">The machine-id: 32 hex digits, either case; dashes, white space around.</param>
    /// <returns>
    /// 32 lower-case hex digits as Zincati formats it; null when <paramref name="machineId"/> is not an id128.
    /// </returns>
    public static string? FromMachineId(string? machineId) => AppSpecific(machineId, ZincatiAppId);

    /// <summary>
    /// systemd's <c>sd_id128_get_app_specific()</c> (src/libsystemd/sd-id128/sd-id128.c): HMAC-SHA256 keyed
    /// with the 16 bytes of <paramref name="id128"/> over the 16 bytes of <paramref name="appId"/>, the first
    /// 16 bytes of the MAC made a version-4 UUID (byte 6 high nibble 4, byte 8 top bits 10).
    /// </summary>
    /// <param name="id128">The id to derive from: 32 hex digits, either case, dashes allowed.</param>
    /// <param name="appId">The application id, in the same form.</param>
    /// <returns>32 lower-case hex digits; null when either argument is not an id128.</returns>
    public static string? AppSpecific(string? id128, string? appId)
    {
        if (Parse(id128) is not { } key || Parse(appId) is not { } app)
        {
            return null;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, app, mac);
        var id = mac[..16];
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return Convert.ToHexStringLower(id);
    }

    /// <summary>
    /// The canonical form of a node id as it arrives (Zincati sends lower-case hex; a configured
    /// <c>node_uuid</c> may be written with dashes or upper case).
    /// </summary>
    /// <param name="value">The node id as received.</param>
    /// <returns>32 lower-case hex digits, or null when <paramref name="value"/> is not an id128.</returns>
    public static string? Normalize(string? value) =>
        Parse(value) is { } bytes ? Convert.ToHexStringLower(bytes) : null;

    private static byte[]? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var hex = value.Trim().Replace("-", string.Empty, StringComparison.Ordinal);
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit) ? Convert.FromHexString(hex) : null;
    }
}
