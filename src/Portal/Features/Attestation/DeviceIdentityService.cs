using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Attestation;

/// <summary>A device's identities and TPM state, for its detail page.</summary>
public sealed record DeviceIdentities(
    string? EkHash,
    DateTimeOffset? TpmVerifiedAt,
    EkCertificateState? EkCertificate,
    IReadOnlyList<DeviceIdentifier> Identifiers,
    IReadOnlyList<ConflictRow> Conflicts);

/// <summary>The EK certificate the device's TPM presented at its last proof, as the portal judged it.</summary>
/// <param name="Issuer">Issuer DN; null when the TPM had no certificate (or it did not parse).</param>
/// <param name="Serial">Serial number, hex.</param>
/// <param name="VerifiedAt">When it last chained to a trusted TPM manufacturer CA; null when it did not.</param>
/// <param name="Problem">Why the EK is not vouched for; null when it is.</param>
/// <param name="HeldForPerson">The device is pending and no policy may approve it (policy Flag).</param>
public sealed record EkCertificateState(
    string? Issuer, string? Serial, DateTimeOffset? VerifiedAt, string? Problem, bool HeldForPerson);

/// <summary>An identity conflict as a person sees it (also what the enrolment queue shows).</summary>
public sealed record ConflictRow(
    long Id,
    Guid DeviceId,
    string Hostname,
    Guid OtherDeviceId,
    string? OtherHostname,
    IdentifierKind Kind,
    string Value,
    string Detail,
    DateTimeOffset DetectedAt,
    DateTimeOffset? ResolvedAt,
    string? ResolvedBy,
    string? Resolution);

/// <summary>Reads device identities and identity conflicts; an Operator resolves a conflict (audited).</summary>
public sealed class DeviceIdentityService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    DeviceNotifier notifier,
    TimeProvider time,
    IOptions<AttestationOptions> options,
    ILogger<DeviceIdentityService> logger)
{
    public const int MaxResolutionLength = 1024;

    [NoPolicy("read-only view of what devices presented; the page and endpoints that call it require ViewFleet")]
    public async Task<DeviceIdentities?> GetAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Id == deviceId)
            .Select(d => new
            {
                d.EkHash, d.TpmVerifiedAt, d.State, d.EkCertificateIssuer, d.EkCertificateSerial,
                d.EkCertificateVerifiedAt, d.EkCertificateProblem,
            })
            .FirstOrDefaultAsync(cancellationToken);
        if (device is null)
        {
            return null;
        }

        var judged = device.EkCertificateProblem is not null || device.EkCertificateVerifiedAt is not null;
        var certificate = device.EkHash is null || !judged
            ? null
            : new EkCertificateState(
                device.EkCertificateIssuer, device.EkCertificateSerial, device.EkCertificateVerifiedAt,
                device.EkCertificateProblem,
                device.EkCertificateProblem is not null && device.State == EnrollmentState.Pending
                    && options.Value.EkCertificatePolicy == EkCertificatePolicy.Flag
                    && !await EnrollmentIdentity.PreRegisteredAsync(db, deviceId, device.EkHash, cancellationToken));

        var identifiers = await db.DeviceIdentifiers.AsNoTracking().Where(i => i.DeviceId == deviceId).ToListAsync(cancellationToken);
        var conflicts = await RowsAsync(db, db.IdentityConflicts.Where(c => c.DeviceId == deviceId || c.OtherDeviceId == deviceId), cancellationToken);
        return new DeviceIdentities(device.EkHash, device.TpmVerifiedAt, certificate,
            [.. identifiers.OrderBy(i => i.Kind).ThenBy(i => i.Value, StringComparer.Ordinal)],
            [.. conflicts.OrderByDescending(c => c.DetectedAt)]);
    }

    /// <summary>Open conflicts, newest first: what the enrolment queue flags for a person.</summary>
    [NoPolicy("read-only; callers (queue page, API) require ViewFleet")]
    public async Task<IReadOnlyList<ConflictRow>> OpenConflictsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await RowsAsync(db, db.IdentityConflicts.Where(c => c.ResolvedAt == null), cancellationToken);
        return [.. rows.OrderByDescending(c => c.DetectedAt)];
    }

    /// <summary>
    /// Marks a conflict resolved with a person's note. It merges nothing: the person then approves,
    /// rejects or decommissions the devices as they judge. When it was the device's last open identity
    /// conflict, the device's conflict flag is cleared.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> ResolveAsync(
        long conflictId, string resolution, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.conflict-resolve", "identity-conflict", conflictId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not resolve identity conflicts.");
        }

        if (string.IsNullOrWhiteSpace(resolution) || resolution.Length > MaxResolutionLength)
        {
            return Outcome.Invalid("resolution", $"must be 1-{MaxResolutionLength} characters");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conflict = await db.IdentityConflicts.FirstOrDefaultAsync(c => c.Id == conflictId, cancellationToken);
        if (conflict is null)
        {
            return Outcome.NotFound($"There is no identity conflict {conflictId}.");
        }

        if (conflict.ResolvedAt is not null)
        {
            return Outcome.Conflict($"Identity conflict {conflictId} was already resolved.");
        }

        var now = time.GetUtcNow();
        conflict.ResolvedAt = now;
        conflict.ResolvedBy = actor.Name;
        conflict.Resolution = resolution.Trim();
        var device = await db.Devices.FirstAsync(d => d.Id == conflict.DeviceId, cancellationToken);
        var stillOpen = await db.IdentityConflicts.AnyAsync(c => c.DeviceId == device.Id && c.Id != conflict.Id && c.ResolvedAt == null, cancellationToken);
        if (!stillOpen && device.Conflict?.StartsWith(IdentityLedger.ConflictPrefix, StringComparison.Ordinal) == true)
        {
            device.Conflict = null;
        }

        db.DeviceEvents.Add(new DeviceEvent
        {
            DeviceId = device.Id,
            At = now,
            Kind = "conflict",
            Message = $"Identity conflict on {conflict.Kind.Label()} {conflict.Value} resolved by {actor.Name}: "
                + conflict.Resolution,
        });
        audit.Add(db, actor, "device.conflict-resolve", "device", device.Id.ToString("N"),
            before: $"open: {conflict.Kind.Label()} {conflict.Value} ({conflict.Detail})",
            after: $"resolved: {conflict.Resolution}");
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Identity conflict {ConflictId} of device {DeviceId:N} resolved by {Actor}", conflict.Id, device.Id, actor.Name);
        notifier.Notify([device.Id]);
        return Outcome.Done;
    }

    private static async Task<List<ConflictRow>> RowsAsync(FleetDbContext db, IQueryable<IdentityConflict> conflicts, CancellationToken cancellationToken)
    {
        var rows = await conflicts.AsNoTracking().ToListAsync(cancellationToken);
        var ids = rows.SelectMany(c => new[] { c.DeviceId, c.OtherDeviceId }).Distinct().ToList();
        var names = await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Hostname, cancellationToken);
        return [.. rows.Select(c => new ConflictRow(c.Id, c.DeviceId, names.GetValueOrDefault(c.DeviceId, "(forgotten)"), c.OtherDeviceId, names.GetValueOrDefault(c.OtherDeviceId),
            c.Kind, c.Value, c.Detail, c.DetectedAt, c.ResolvedAt, c.ResolvedBy, c.Resolution))];
    }
}
