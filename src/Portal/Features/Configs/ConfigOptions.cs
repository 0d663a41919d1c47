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

    /// <summary>The <c>coreos.inst.install_dev</c> of <c>/boot.ipxe</c> unless the device variable <c>install_dev</c> says otherwise.</summary>
    [Required]
    public string DefaultInstallDevice { get; set; } = "/dev/sda";
}
