namespace Fleet.Portal.Features.Devices;

/// <summary>Section <c>Fleet:Updates</c>, the part devices need: where they reach the portal's update endpoints.</summary>
public sealed class DeviceUpdateOptions
{
    public const string Section = "Fleet:Updates";

    /// <summary>
    /// The portal's URL as devices reach it, e.g. <c>https://fleet.example.org/</c>; the Cincinnati and
    /// FleetLock base URLs sent to devices. Unset: the first address Kestrel listens on, with a wildcard
    /// host (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>) replaced by this machine's host name.
    /// </summary>
    public string? PublicBaseUrl { get; set; }
}
