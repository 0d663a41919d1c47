using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Updates.Import;

/// <summary>
/// Imports a stream's releases and policy from Fedora CoreOS documents, uploaded or fetched. All or
/// nothing: the documents are checked first (every problem reported with its place), then applied in
/// one transaction. Importing the same documents again changes nothing. The documents are
/// authoritative for what they cover: releases.json replaces the stream's release list (releases it
/// no longer names are removed), updates.json replaces every release's rollout, barrier and dead-end.
/// Halts are the portal's own and survive any import.
/// </summary>
public sealed partial class ReleaseImportService(
    IDbContextFactory<FleetDbContext> dbFactory,
    IHttpClientFactory httpClients,
    IOptions<UpdateOptions> options,
    ActorAuthorizer authorizer,
    AuditLog audit,
    UpdateNotifier notifier,
    TimeProvider time,
    ILogger<ReleaseImportService> logger)
{
    public const string HttpClientName = "fleet-release-import";

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<ImportReport> ImportAsync(string stream, ReleaseImportDocuments documents, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "stream.import", "stream", stream, cancellationToken))
        {
            return ImportReport.Failed(Outcome.Forbidden("Your role may not change update settings."));
        }

        return await ApplyAsync(stream, documents, actor, cancellationToken);
    }

    private async Task<ImportReport> ApplyAsync(string stream, ReleaseImportDocuments documents, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var max = options.Value.ImportMaxBytes;
        var tooLarge = new[] { (documents.Releases, ReleaseImportParser.ReleasesField), (documents.Updates, ReleaseImportParser.UpdatesField), (documents.StreamMetadata, ReleaseImportParser.StreamMetadataField) }
            .Where(d => d.Item1 is not null && Encoding.UTF8.GetByteCount(d.Item1) > max)
            .Select(d => OutcomeError.At(
                d.Item2, $"larger than the limit of {max} bytes (Fleet:Updates:ImportMaxBytes)"))
            .ToList();
        if (tooLarge.Count > 0)
        {
            return ImportReport.Failed(Outcome.Invalid(tooLarge));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var target = await db.UpdateStreams.Include(s => s.Releases).ThenInclude(r => r.Architectures).AsSplitQuery()
            .SingleOrDefaultAsync(s => s.Name == stream, cancellationToken);
        if (target is null)
        {
            return ImportReport.Failed(Outcome.NotFound($"There is no stream '{stream}'."));
        }

        var parsed = ReleaseImportParser.Parse(stream, documents);
        if (parsed.Errors.Count > 0)
        {
            await audit.RecordAsync(actor, "stream.import", "stream", stream, AuditOutcome.Failed,
                $"{parsed.Errors.Count} problem(s), nothing imported: " + string.Join("; ", parsed.Errors.Take(5).Select(e => e.Message)), cancellationToken);
            return ImportReport.Failed(Outcome.Invalid(parsed.Errors));
        }

        var now = time.GetUtcNow();
        var report = Apply(target, parsed, now);
        target.LastImportAt = now;
        target.LastImportBy = actor.Name;
        if (!string.IsNullOrWhiteSpace(documents.StreamMetadata))
        {
            target.MetadataJson = documents.StreamMetadata;   // network installs boot its PXE artifacts (Features/Configs/BootScriptEndpoints)
        }

        var documentsGiven = string.Join(", ", new[] { (documents.Releases, "releases.json"), (documents.Updates, "updates.json"), (documents.StreamMetadata, "stream metadata") }
            .Where(d => !string.IsNullOrWhiteSpace(d.Item1)).Select(d => d.Item2));
        audit.Add(db, actor, "stream.import", "stream", stream, after: $"{documentsGiven}: {report.Summary}");
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Imported {Documents} into stream {Stream} for {Actor}: {Summary}", documentsGiven, stream, actor.Name, report.Summary);
        notifier.Notify();
        return report;
    }

    /// <summary>
    /// Applies checked documents to a stream and its releases (tracked or not: nothing here needs the
    /// database, which is what lets the conformance tests build graphs from the fixtures the same way).
    /// </summary>
    internal static ImportReport Apply(UpdateStream target, ParsedImport parsed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(parsed);
        var notes = new List<string>();
        var added = new HashSet<Release>();
        var changed = new HashSet<Release>();
        var removed = parsed.Releases is { } releases ? ApplyReleases(target, releases, now, added, changed) : 0;
        var policies = parsed.Policies is { } entries ? ApplyPolicies(target, entries, notes, added, changed) : 0;
        if (parsed.StreamMetadata is { } metadata)
        {
            target.MetadataLastModified = metadata.LastModified;
            target.LatestByArchitecture = metadata.LatestByArchitecture.Count == 0 ? null
                : Shorten(string.Join(';', metadata.LatestByArchitecture.Select(p => $"{p.Key}={p.Value}")), 1000);
            var missing = metadata.LatestByArchitecture.Where(p => !target.Releases.Any(r => r.Version == p.Value && r.Architectures.Any(a => a.Architecture == p.Key))).ToList();
            if (missing.Count > 0)
            {
                notes.Add($"The stream metadata names releases this stream does not have: {string.Join(", ", missing.Select(p => $"{p.Value} ({p.Key})"))}. Import a newer releases.json.");
            }
        }

        return new ImportReport(
            Outcome.Done, added.Count, changed.Count, target.Releases.Count - added.Count - changed.Count, removed,
            policies, notes);
    }

    /// <summary>
    /// Upserts the releases by version and drops those the index no longer names (removed from the
    /// collection, EF deletes them: the relationship is required); returns how many were dropped.
    /// </summary>
    private static int ApplyReleases(UpdateStream target, IReadOnlyList<ParsedRelease> releases, DateTimeOffset now, HashSet<Release> added, HashSet<Release> changed)
    {
        var existing = target.Releases.ToDictionary(r => r.Version, StringComparer.Ordinal);
        foreach (var parsed in releases)
        {
            if (!existing.Remove(parsed.Version, out var release))
            {
                release = new Release
                {
                    StreamName = target.Name,
                    Version = parsed.Version,
                    AgeIndex = parsed.AgeIndex,
                    PublishedAt = PublishedAt(parsed.Version),
                    ImportedAt = now,
                    Architectures = [.. parsed.Architectures.Select(a => new ReleaseArchitecture { Architecture = a.Architecture, Checksum = a.Checksum, OciImage = a.OciImage })],
                };
                target.Releases.Add(release);
                added.Add(release);
                continue;
            }

            if (release.AgeIndex != parsed.AgeIndex)
            {
                release.AgeIndex = parsed.AgeIndex;
                changed.Add(release);
            }

            foreach (var gone in release.Architectures.Where(a => !parsed.Architectures.Any(p => p.Architecture == a.Architecture)).ToList())
            {
                release.Architectures.Remove(gone);
                changed.Add(release);
            }

            foreach (var architecture in parsed.Architectures)
            {
                var row = release.Architectures.FirstOrDefault(a => a.Architecture == architecture.Architecture);
                if (row is null)
                {
                    release.Architectures.Add(new ReleaseArchitecture { Architecture = architecture.Architecture, Checksum = architecture.Checksum, OciImage = architecture.OciImage });
                    changed.Add(release);
                }
                else if (row.Checksum != architecture.Checksum || row.OciImage != architecture.OciImage)
                {
                    row.Checksum = architecture.Checksum;
                    row.OciImage = architecture.OciImage;
                    changed.Add(release);
                }
            }
        }

        foreach (var gone in existing.Values)
        {
            target.Releases.Remove(gone);
        }

        return existing.Count;
    }

    /// <summary>Sets every release's policy from updates.json; a release it does not mention has none (as upstream).</summary>
    private static int ApplyPolicies(UpdateStream target, IReadOnlyList<ParsedPolicy> policies, List<string> notes, HashSet<Release> added, HashSet<Release> changed)
    {
        var byVersion = policies.ToDictionary(p => p.Version, StringComparer.Ordinal);
        var applied = 0;
        foreach (var release in target.Releases)
        {
            var policy = byVersion.GetValueOrDefault(release.Version);
            applied += policy is null ? 0 : 1;
            var before = (release.HasRollout, release.RolloutStartEpoch, release.RolloutStartPercentage, release.RolloutDurationMinutes,
                release.IsBarrier, release.BarrierReason, release.IsDeadEnd, release.DeadEndReason);
            release.HasRollout = policy?.Rollout is not null;
            release.RolloutStartEpoch = policy?.Rollout?.StartEpoch;
            release.RolloutStartPercentage = policy?.Rollout?.StartPercentage;
            release.RolloutDurationMinutes = policy?.Rollout?.DurationMinutes;
            release.IsBarrier = policy?.IsBarrier == true;
            release.BarrierReason = policy?.BarrierReason;
            release.IsDeadEnd = policy?.IsDeadEnd == true;
            release.DeadEndReason = policy?.DeadEndReason;
            var after = (release.HasRollout, release.RolloutStartEpoch, release.RolloutStartPercentage, release.RolloutDurationMinutes,
                release.IsBarrier, release.BarrierReason, release.IsDeadEnd, release.DeadEndReason);
            if (before != after && !added.Contains(release))
            {
                changed.Add(release);
            }
        }

        var unknown = policies.Where(p => !target.Releases.Any(r => r.Version == p.Version)).Select(p => p.Version).ToList();
        if (unknown.Count > 0)
        {
            notes.Add($"updates.json has policy for {unknown.Count} version(s) this stream does not have (ignored, as upstream does): {Shorten(string.Join(", ", unknown), 300)}");
        }

        return applied;
    }

    /// <summary>The build date of a Fedora CoreOS version (<c>41.20250105.3.0</c> → 2025-01-05); null for other schemes.</summary>
    internal static DateTimeOffset? PublishedAt(string version)
    {
        var match = FcosVersion().Match(version);
        return match.Success && DateTime.TryParseExact(match.Groups[1].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? new DateTimeOffset(date, TimeSpan.Zero)
            : null;
    }

    private static string Shorten(string value, int max) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max - 1), "…");

    [GeneratedRegex(@"^\d+\.(\d{8})\.\d+\.\d+$")]
    private static partial Regex FcosVersion();
}
