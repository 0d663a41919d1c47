using Microsoft.Extensions.Logging;
using QRCoder;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Writes the claim code to <c>/etc/issue.d/fleet-claim.issue</c> (agetty shows it above the login
/// prompt) under <see cref="AgentOptions.ClaimBannerRoot"/>, and logs it with a QR code of the claim URL
/// drawn in text, so a person at the console or reading the journal can claim the device.
/// </summary>
public sealed class ConsoleBannerClaimDisplay(AgentOptions options, ILogger logger) : IClaimCodeDisplay
{
    public const string RelativePath = "etc/issue.d/fleet-claim.issue";

    public string BannerPath => Path.Combine(options.ClaimBannerRoot, RelativePath);

    public void Show(string code, string? url, DateTimeOffset? expiresAt)
    {
        var until = expiresAt is { } e ? $" (valid until {e:yyyy-MM-dd HH:mm} UTC)" : string.Empty;
        var text = $"""

            Fleet: this device waits to be claimed.
              Claim code: {code}{until}
            {(url is null ? string.Empty : $"  Claim it at: {url}\n")}
            """;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(BannerPath)!);
            var temp = BannerPath + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, BannerPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not write the claim banner {Path}: {Error}", BannerPath, ex.Message);
        }

        logger.LogWarning("This device waits to be claimed: claim code {ClaimCode}{Until}; claim URL {ClaimUrl}{Qr}",
            code, until, url ?? "(none)", url is null ? string.Empty : "\n" + Qr(url));
    }

    public void Clear()
    {
        try
        {
            File.Delete(BannerPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove the claim banner {Path}: {Error}", BannerPath, ex.Message);
        }
    }

    /// <summary>The URL as a QR code of half-block characters (two modules a character row), readable by a phone off a terminal.</summary>
    public static string Qr(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        using var ascii = new AsciiQRCode(data);
        return ascii.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: "\n");
    }
}
