using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Configs;

/// <summary>Section <c>Fleet:Configs</c>: serving Ignition configs to devices.</summary>
public sealed class ConfigOptions
{
    public const string Section = "Fleet:Configs";

    /// <summary>Refuse <c>/ignition</c> requests that carry no valid signature (<c>sig</c>, <c>exp</c>).</summary>
    public bool RequireSignedUrls { get; set; }

    /// <summary>Render secrets only into configs fetched over a signed URL (an approved device asking by MAC alone gets none).</summary>
    public bool SecretsRequireSignedUrl { get; set; } = true;

    /// <summary>How long a signed per-device URL stays valid.</summary>
    [Range(60, 60 * 60 * 24 * 365)]
    public int SignedUrlLifetimeSeconds { get; set; } = 3600;

    /// <summary>An unknown MAC or UUID asking for a config is recorded as a Pending device (as Zezere does).</summary>
    public bool RecordUnknownDevices { get; set; } = true;

    /// <summary>
    /// Requests an address may make to <c>/ignition</c> and <c>/boot.ipxe</c> without a valid signature, at once.
    /// </summary>
    [Range(1, 1_000_000)]
    public int AnonymousRequestBurst { get; set; } = 60;

    /// <summary>How fast that allowance refills; beyond it <c>/ignition</c> answers 429 with Retry-After.</summary>
    [Range(1, 6_000_000)]
    public int AnonymousRequestsPerMinute { get; set; } = 60;

    /// <summary>
    /// How many Pending devices that anonymous requests created (<see cref="RecordUnknownDevices"/>) may await a
    /// decision at once; further unknown machines are answered 404 without a record until an Operator decides.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxPendingPlaceholders { get; set; } = 200;

    /// <summary>The <c>coreos.inst.install_dev</c> of <c>/boot.ipxe</c> unless the device variable <c>install_dev</c> says otherwise.</summary>
    [Required]
    public string DefaultInstallDevice { get; set; } = "/dev/sda";
}
