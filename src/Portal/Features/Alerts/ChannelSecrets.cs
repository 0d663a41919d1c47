using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Fleet.Portal.Features.Alerts;

/// <summary>Webhook signing keys: generated here, encrypted at rest with Data Protection like config secrets.</summary>
public sealed class ChannelSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Fleet.Alerts.ChannelSecrets.v1");

    /// <summary>A new random key, 32 bytes as lowercase hex.</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public string Protect(string plain) => _protector.Protect(plain);

    public string Unprotect(string cipher) => _protector.Unprotect(cipher);

    /// <summary>The signature header's value for a body: <c>sha256=</c> and the HMAC-SHA256 in lowercase hex.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body));
}
