using System.Security.Cryptography;

namespace Fleet.Shared;

/// <summary>
/// The node id Zincati sends to Cincinnati and FleetLock servers: systemd's app-specific machine id
/// (<c>systemd-id128 machine-id -a de35106b6ec24688b63afddaa156679b</c>). The Fleet agent sends the
/// same id, so the portal sees one id per device whichever of the two talks to it, and can compute it
/// from the machine-id it learnt at enrolment.
/// </summary>
public static class NodeUuid
{
    /// <summary>Zincati's application id, <c>de35106b6ec24688b63afddaa156679b</c>.</summary>
    public const string ZincatiAppId = "de35106b6ec24688b63afddaa156679b";

    /// <summary>
    /// systemd's <c>sd_id128_get_machine_app_specific()</c>: HMAC-SHA256 keyed with the 16 machine-id
    /// bytes over the 16 app-id bytes, the first 16 bytes of the MAC, made a version-4 UUID
    /// (byte 6 high nibble 4, byte 8 top bits 10).
    /// </summary>
    /// <param name="machineId">The 32-hex-digit <c>/etc/machine-id</c> (either case).</param>
    /// <param name="appId">The 32-hex-digit application id; Zincati's by default.</param>
    /// <returns>32 lower-case hex digits, as Zincati formats it.</returns>
    public static string FromMachineId(string machineId, string appId = ZincatiAppId)
    {
        var key = ParseId128(machineId, nameof(machineId));
        var message = ParseId128(appId, nameof(appId));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, message, mac);
        var id = mac[..16];
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return Convert.ToHexStringLower(id);
    }

    private static byte[] ParseId128(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        var trimmed = value.Trim();
        if (trimmed.Length != 32 || !trimmed.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("An id128 is 32 hex digits.", name);
        }

        return Convert.FromHexString(trimmed);
    }
}
