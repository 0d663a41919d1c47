using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// Section <c>Fleet:Updates</c>: where devices reach the portal's update endpoints, and limits for fetching
/// release documents. Fleet-wide policy lives in <see cref="UpdateSettings"/>.
/// </summary>
public sealed class UpdateOptions
{
    public const string Section = "Fleet:Updates";

    /// <summary>
    /// The portal's URL as devices reach it, e.g. <c>https://fleet.example.org/</c>; the Cincinnati and
    /// FleetLock base URLs sent to devices. Unset: the first https address Kestrel listens on (else its first
    /// address), with a wildcard host (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>) replaced by this machine's
    /// host name.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Largest document an import accepts, uploaded or fetched (Fedora's stable releases.json is well under 1 MiB).
    /// </summary>
    [Range(1024, 268_435_456)]
    public int ImportMaxBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long fetching all documents of one import from their URLs may take.</summary>
    [Range(1, 600)]
    public int ImportTimeoutSeconds { get; set; } = 60;
}
