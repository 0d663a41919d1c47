using System.Security.Cryptography;
using System.Text;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Device secrets: 256 random bits each, so a single SHA-256 is enough to store them (no password
/// stretching needed: there is nothing to brute-force in a random 256-bit value).
/// </summary>
internal static class DeviceCredentials
{
    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Gives <paramref name="device"/> a fresh secret (the previous one stops working) and returns the Approved answer carrying it.</summary>
    public static Fleet.Shared.Messages.EnrollmentResponse Issue(Fleet.Portal.Data.Device device, DateTimeOffset now)
    {
        var secret = NewSecret();
        device.CredentialHash = Hash(secret);
        device.CredentialIssuedAt = now;
        return new Fleet.Shared.Messages.EnrollmentResponse(Fleet.Shared.Messages.EnrollmentDecision.Approved, device.Id.ToString("N"), secret);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Verify(string? secret, byte[]? hash) =>
        secret is not null && hash is { Length: 32 } && CryptographicOperations.FixedTimeEquals(Hash(secret), hash);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
