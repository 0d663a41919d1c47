namespace Fleet.Portal.Features.Updates.Import;

/// <summary>
/// The three Fedora CoreOS documents an import reads, as JSON text; any may be left out.
/// <list type="bullet">
/// <item><c>releases.json</c> (builds.coreos.fedoraproject.org/prod/streams/&lt;stream&gt;/releases.json): every
/// release, oldest first, with its OSTree commit (and OCI image) per architecture;</item>
/// <item><c>updates/&lt;stream&gt;.json</c>: the update policy: rollouts, barriers, dead-ends;</item>
/// <item><c>streams/&lt;stream&gt;.json</c> (stream metadata): the newest artifacts per architecture.</item>
/// </list>
/// </summary>
public sealed record ReleaseImportDocuments(string? Releases, string? Updates, string? StreamMetadata);

/// <summary>Where to fetch the same documents from (http or https).</summary>
public sealed record ReleaseImportUrls(string? ReleasesUrl, string? UpdatesUrl, string? StreamMetadataUrl)
{
    /// <summary>The Fedora CoreOS locations of a stream's documents, as the upstream graph builder and installer use them.</summary>
    public static ReleaseImportUrls FedoraCoreOs(string stream) => new(
        $"https://builds.coreos.fedoraproject.org/prod/streams/{stream}/releases.json",
        $"https://builds.coreos.fedoraproject.org/updates/{stream}.json",
        $"https://builds.coreos.fedoraproject.org/streams/{stream}.json");
}

/// <summary>What an import did, or why it did nothing.</summary>
/// <param name="Notes">Things worth knowing that are not errors (policy entries for versions the stream does not have).</param>
/// <param name="Change">Whether the import changed anything, or why it did nothing.</param>
/// <param name="Added">Releases added.</param>
/// <param name="Updated">Releases whose data changed.</param>
/// <param name="Unchanged">Releases already as imported.</param>
/// <param name="Removed">Releases no longer in the document, removed.</param>
/// <param name="PoliciesApplied">Rollout, barrier and dead-end entries applied.</param>
public sealed record ImportReport(
    Outcome Change,
    int Added,
    int Updated,
    int Unchanged,
    int Removed,
    int PoliciesApplied,
    IReadOnlyList<string> Notes)
{
    public static ImportReport Failed(Outcome change) => new(change, 0, 0, 0, 0, 0, []);

    public bool Succeeded => Change.Succeeded;

    public string Summary => Succeeded
        ? $"{Added} added, {Updated} updated, {Unchanged} unchanged, {Removed} removed; policy for {PoliciesApplied} release(s)"
        : Change.Message;
}

internal sealed record ParsedArchitecture(string Architecture, string Checksum, string? OciImage);

internal sealed record ParsedRelease(string Version, int AgeIndex, IReadOnlyList<ParsedArchitecture> Architectures);

internal sealed record ParsedRollout(long? StartEpoch, double? StartPercentage, long? DurationMinutes);

internal sealed record ParsedPolicy(string Version, string? BarrierReason, string? DeadEndReason, ParsedRollout? Rollout)
{
    public bool IsBarrier => BarrierReason is not null;

    public bool IsDeadEnd => DeadEndReason is not null;
}

internal sealed record ParsedStreamMetadata(DateTimeOffset? LastModified, IReadOnlyDictionary<string, string> LatestByArchitecture);

internal sealed record ParsedImport(
    IReadOnlyList<ParsedRelease>? Releases,
    IReadOnlyList<ParsedPolicy>? Policies,
    ParsedStreamMetadata? StreamMetadata,
    IReadOnlyList<OutcomeError> Errors);
