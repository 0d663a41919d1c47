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

/// <summary>
/// One problem an import found, however often: the same check failing at the same place of each of 21 releases
/// reads once, with its count and the first place it failed, instead of 21 times.
/// </summary>
/// <param name="Field">The document (<see cref="ReleaseImportParser"/>'s field names), "" for none.</param>
/// <param name="Place">The JSON path with every array index as <c>[*]</c>; "" for a problem of a whole
/// document.</param>
/// <param name="First">The first occurrence as reported, with its own path and value.</param>
/// <param name="Count">How many occurrences were reported (at most the parser's cap).</param>
public sealed partial record ImportProblem(string Field, string Place, string First, int Count)
{
    public static IReadOnlyList<ImportProblem> Group(IEnumerable<OutcomeError> errors) =>
    [
        .. errors
            .Select(e => (Field: e.Field ?? string.Empty, Place: PlaceOf(e.Message), e.Message))
            .GroupBy(e => (e.Field, e.Place.Length > 0 ? e.Place : e.Message))
            .Select(g => new ImportProblem(g.Key.Field, g.First().Place, g.First().Message, g.Count())),
    ];

    // The parser reports "$.releases[3].commits[0].checksum: …"; other problems (bad JSON, a URL) carry no path.
    private static string PlaceOf(string message)
    {
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        return message.StartsWith('$') && colon > 0 ? Index().Replace(message[..colon], "[*]") : string.Empty;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]")]
    private static partial System.Text.RegularExpressions.Regex Index();
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
