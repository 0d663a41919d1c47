namespace Fleet.Portal.Features.Updates;

/// <summary>
/// An update stream: a named, ordered line of releases (Fedora CoreOS's <c>stable</c>, <c>testing</c>,
/// <c>next</c>, or one of the operator's own). Zincati asks for the graph of one stream by name.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A Fedora CoreOS update stream, not a System.IO.Stream: the domain's own word.")]
public sealed class UpdateStream : IPausable
{
    public const int MaxNameLength = 32;

    public static readonly IReadOnlyList<string> BuiltIn = ["stable", "testing", "next"];

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>Seeded (stable, testing, next); the others were created by an operator.</summary>
    public bool IsBuiltIn { get; set; }

    public DateTimeOffset? PausedAt { get; set; }

    public DateTimeOffset? PausedUntil { get; set; }

    public string? PauseReason { get; set; }

    public string? PausedBy { get; set; }

    /// <summary>"last-modified" of the last imported stream metadata document.</summary>
    public DateTimeOffset? MetadataLastModified { get; set; }

    /// <summary>The newest release per architecture named by that document, "x86_64=41.2…;aarch64=…".</summary>
    public string? LatestByArchitecture { get; set; }

    /// <summary>The last imported stream metadata document as given (its PXE artifacts are what <c>/boot.ipxe</c> boots).</summary>
    public string? MetadataJson { get; set; }

    public DateTimeOffset? LastImportAt { get; set; }

    public string? LastImportBy { get; set; }

    public List<Release> Releases { get; set; } = [];
}
