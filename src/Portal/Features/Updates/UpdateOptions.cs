using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Updates;

/// <summary>Section <c>Fleet:Updates</c>: limits for fetching release documents. Fleet-wide policy lives in <see cref="UpdateSettings"/>.</summary>
public sealed class UpdateOptions
{
    public const string Section = "Fleet:Updates";

    /// <summary>Largest document an import accepts, uploaded or fetched (Fedora's stable releases.json is well under 1 MiB).</summary>
    [Range(1024, 268_435_456)]
    public int ImportMaxBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long fetching all documents of one import from their URLs may take.</summary>
    [Range(1, 600)]
    public int ImportTimeoutSeconds { get; set; } = 60;
}
