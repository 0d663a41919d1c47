using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>Where a release's rollout stands after a report.</summary>
/// <param name="HaltedNow">This report tipped it over the threshold.</param>
/// <param name="Version">The release the report was about.</param>
/// <param name="Failures">Devices that reported it failing or rolling back.</param>
/// <param name="Successes">Devices that reported booting it.</param>
/// <param name="Halted">Whether the release is halted now.</param>
public sealed record RolloutVerdict(string Version, int Failures, int Successes, bool Halted, bool HaltedNow)
{
    public int Reports => Failures + Successes;
}

/// <summary>
/// Halts a release by itself when too many of the devices that tried it failed: more than
/// <see cref="UpdateSettings.FailureThresholdPercent"/> of the reports, once at least
/// <see cref="UpdateSettings.FailureMinimumSample"/> devices reported. Each device counts once per
/// version (its latest report); reports from before the last resume do not count, so an operator who
/// resumes a release starts its count afresh. Called by the ingest of device update reports.
/// </summary>
public sealed class RolloutGuard(IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, UpdateNotifier notifier, TimeProvider time, ILogger<RolloutGuard> logger)
{
    public const string HaltedBy = "rollout guard";

    /// <summary>The device failed to update to (or stay on) <paramref name="releaseVersion"/>. Null when no stream has that version or there is no such device.</summary>
    public Task<RolloutVerdict?> RecordFailureAsync(string releaseVersion, Guid deviceId, CancellationToken cancellationToken = default) =>
        RecordAsync(releaseVersion, deviceId, succeeded: false, cancellationToken);

    /// <summary>The device runs <paramref name="releaseVersion"/> and is healthy.</summary>
    public Task<RolloutVerdict?> RecordSuccessAsync(string releaseVersion, Guid deviceId, CancellationToken cancellationToken = default) =>
        RecordAsync(releaseVersion, deviceId, succeeded: true, cancellationToken);

    private async Task<RolloutVerdict?> RecordAsync(string version, Guid deviceId, bool succeeded, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Immediate on SQLite: concurrent reports of one device, or two reports that both tip the balance, queue here.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var releases = await db.Releases.Where(r => r.Version == version).ToListAsync(cancellationToken);
        if (releases.Count == 0 || !await db.Devices.AnyAsync(d => d.Id == deviceId, cancellationToken))
        {
            return null;
        }

        var outcome = await db.RolloutOutcomes.SingleOrDefaultAsync(o => o.ReleaseVersion == version && o.DeviceId == deviceId, cancellationToken);
        if (outcome is null)
        {
            db.RolloutOutcomes.Add(new RolloutOutcome { ReleaseVersion = version, DeviceId = deviceId, Succeeded = succeeded, At = now });
        }
        else
        {
            outcome.Succeeded = succeeded;
            outcome.At = now;
        }

        await db.SaveChangesAsync(cancellationToken);

        var since = releases.Max(r => r.ResumedAt) ?? DateTimeOffset.MinValue;
        var counts = await db.RolloutOutcomes.Where(o => o.ReleaseVersion == version && o.At >= since)
            .GroupBy(o => o.Succeeded).Select(g => new { Succeeded = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var failures = counts.Where(c => !c.Succeeded).Sum(c => c.Count);
        var successes = counts.Where(c => c.Succeeded).Sum(c => c.Count);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var total = failures + successes;
        var over = total >= settings.FailureMinimumSample && failures * 100L > (long)settings.FailureThresholdPercent * total;
        var toHalt = over ? releases.Where(r => !r.IsHalted).ToList() : [];
        foreach (var release in toHalt)
        {
            var before = UpdateService.Summary(release);
            UpdateService.Halt(release, $"automatic: {failures} of {total} devices failed to update (more than {settings.FailureThresholdPercent}%)", HaltedBy, now);
            audit.Add(db, Actor.System, "release.halt", "release", release.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), before, UpdateService.Summary(release));
            logger.LogWarning("Halted {Stream} {Version}: {Failures} of {Total} devices failed to update", release.StreamName, version, failures, total);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (toHalt.Count > 0)
        {
            notifier.Notify();
        }

        return new RolloutVerdict(version, failures, successes, releases.Any(r => r.IsHalted), toHalt.Count > 0);
    }
}
