namespace Fleet.DeviceAgent.Runtime;

/// <summary>Where a pending device shows its claim code to a person: the console banner and the log.</summary>
public interface IClaimCodeDisplay
{
    /// <summary>Shows the code (and the claim URL) until it expires or the device is approved.</summary>
    void Show(string code, string? url, DateTimeOffset? expiresAt);

    /// <summary>Removes the code: the device was approved, or the code expired.</summary>
    void Clear();
}
