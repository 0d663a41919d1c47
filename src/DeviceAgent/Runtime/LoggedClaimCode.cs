using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Shows a claim code only in the log: for the simulator and agents with <c>Agent:ClaimBanner</c> off.
/// </summary>
public sealed class LoggedClaimCode(ILogger logger) : IClaimCodeDisplay
{
    public void Show(string code, string? url, DateTimeOffset? expiresAt) =>
        logger.LogInformation("Claim code {ClaimCode} (claim URL {ClaimUrl})", code, url);

    public void Clear()
    {
        // Nothing shown but the log line.
    }
}
