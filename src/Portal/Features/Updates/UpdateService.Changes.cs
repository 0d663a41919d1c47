using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>Streams, fleet settings, pauses, pins and releases.</summary>
public sealed partial class UpdateService
{
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> CreateStreamAsync(
        StreamInput input, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "stream.create", "stream", input?.Name, async (db, now) =>
        {
            var errors = new List<OutcomeError>();
            var name = input?.Name?.Trim() ?? string.Empty;
            if (!UpdateRules.IsStreamName(name))
            {
                errors.Add(OutcomeError.At(
                    "name",
                    "Use 1 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."));
            }

            if (input?.Description?.Length > 500)
            {
                errors.Add(OutcomeError.At("description", "At most 500 characters."));
            }

            if (errors.Count > 0)
            {
                return (Outcome.Invalid(errors), null, null);
            }

            if (await db.UpdateStreams.AnyAsync(s => s.Name == name, cancellationToken))
            {
                return (Outcome.Conflict($"There is already a stream '{name}'."), null, null);
            }

            db.UpdateStreams.Add(new UpdateStream { Name = name, Description = Blank(input!.Description) });
            return (Outcome.Done, null, $"stream {name}");
        }, cancellationToken);

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> UpdateSettingsAsync(
        SettingsInput input, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "settings.update", "settings", "updates", async (db, now) =>
        {
            var errors = new List<OutcomeError>();
            if (input is null || !await db.UpdateStreams.AnyAsync(s => s.Name == input.DefaultStream, cancellationToken))
            {
                errors.Add(OutcomeError.At("defaultStream", "Choose an existing stream."));
            }

            if (input?.FailureThresholdPercent is not (>= 1 and <= 100))
            {
                errors.Add(OutcomeError.At("failureThresholdPercent", "Between 1 and 100."));
            }

            if (input?.FailureMinimumSample is not (>= 1 and <= 100_000))
            {
                errors.Add(OutcomeError.At("failureMinimumSample", "Between 1 and 100,000 devices."));
            }

            if (errors.Count > 0)
            {
                return (Outcome.Invalid(errors), null, null);
            }

            var settings = await db.UpdateSettings.SingleAsync(cancellationToken);
            var before = Summary(settings);
            settings.DefaultStream = input!.DefaultStream;
            settings.FailureThresholdPercent = input.FailureThresholdPercent;
            settings.FailureMinimumSample = input.FailureMinimumSample;
            var after = Summary(settings);
            settings.UpdatedAt = now;
            settings.UpdatedBy = actor.Name;
            return (Outcome.Done, before, after);
        }, cancellationToken);

    /// <summary>Stops updates for a stream, group or device: its graph keeps its nodes but loses its edges, until <paramref name="until"/> or an unpause.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> PauseAsync(
        UpdateTarget target, string? reason, DateTimeOffset? until, Actor actor,
        CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, $"{target?.EntityType}.pause", target?.EntityType ?? "?", target?.Key, async (db, now) =>
        {
            var errors = new List<OutcomeError>();
            if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > Pause.MaxReasonLength)
            {
                errors.Add(OutcomeError.At("reason", $"Say why, in 1 to {Pause.MaxReasonLength} characters."));
            }

            if (until is { } end && end <= now)
            {
                errors.Add(OutcomeError.At("until", "The pause must end in the future (or leave the end empty)."));
            }

            if (errors.Count > 0)
            {
                return (Outcome.Invalid(errors), null, null);
            }

            if (await FindAsync(db, target!, cancellationToken) is not { } found)
            {
                return (NotFound(target!), null, null);
            }

            var before = Pause.Describe(found, now);
            Pause.Set(found, reason!.Trim(), until, actor.Name, now);
            return (Outcome.Done, before, Pause.Describe(found, now));
        }, cancellationToken);

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> UnpauseAsync(
        UpdateTarget target, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, $"{target?.EntityType}.unpause", target?.EntityType ?? "?", target?.Key, async (db, now) =>
        {
            if (target is null || await FindAsync(db, target, cancellationToken) is not { } found)
            {
                return (NotFound(target), null, null);
            }

            var before = Pause.Describe(found, now);
            Pause.Clear(found);
            return (Outcome.Done, before, Pause.Describe(found, now));
        }, cancellationToken);

    /// <summary>
    /// Asks a device to roll back to its previous deployment (rpm-ostree rollback, then a reboot through
    /// its FleetLock group). The request travels in the device's update policy with a fresh id; the agent
    /// runs each id once and reports the outcome.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> RequestRollbackAsync(
        Guid deviceId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "device.rollback", "device", deviceId.ToString("N"), async (db, now) =>
        {
            if (await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId && d.State == EnrollmentState.Approved, cancellationToken) is not { } device)
            {
                return (Outcome.NotFound($"There is no approved device {deviceId:N}."), null, null);
            }

            var before = device.RollbackCommandId is null ? "no rollback requested" : $"rollback {device.RollbackCommandId}";
            device.RollbackCommandId = $"rb-{now.ToUnixTimeSeconds()}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
            return (
                Outcome.Done, before,
                $"rollback {device.RollbackCommandId} requested (booted {device.BootedVersion ?? "unknown"})");
        }, cancellationToken);

    /// <summary>
    /// Offers a group or device only <paramref name="version"/> (a release of its stream), whatever the
    /// rollout; null or empty removes the pin. A device's pin wins over its group's.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> PinAsync(
        UpdateTarget target, string? version, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, $"{target?.EntityType}.{(string.IsNullOrWhiteSpace(version) ? "unpin" : "pin")}", target?.EntityType ?? "?", target?.Key, async (db, now) =>
        {
            if (target?.Kind == UpdateTargetKind.Stream)
            {
                return (
                    Outcome.Invalid("target", "Pin a group or a device; a stream is paused, or its releases halted."),
                    null, null);
            }

            version = string.IsNullOrWhiteSpace(version) ? null : version.Trim();
            var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
            string stream;
            Action<string?> set;
            string? current;
            if (target is not null && target.Kind == UpdateTargetKind.Group && int.TryParse(target.Key, CultureInfo.InvariantCulture, out var groupId)
                && await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is { } group)
            {
                stream = group.StreamOverride ?? settings.DefaultStream;
                current = group.PinnedVersion;
                set = v => group.PinnedVersion = v;
            }
            else if (target is not null && target.Kind == UpdateTargetKind.Device && Guid.TryParse(target.Key, out var deviceId)
                && await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId, cancellationToken) is { } device)
            {
                var deviceGroup = await db.DeviceGroups.AsNoTracking().SingleAsync(g => g.Id == (device.GroupId ?? DeviceGroup.DefaultId), cancellationToken);
                stream = UpdatePlanner.AssignedStream(device, deviceGroup, settings);
                current = device.PinnedVersion;
                set = v => device.PinnedVersion = v;
            }
            else
            {
                return (NotFound(target), null, null);
            }

            if (version is not null && !await db.Releases.AnyAsync(r => r.StreamName == stream && r.Version == version, cancellationToken))
            {
                return (Outcome.Invalid("version", $"Stream {stream} has no release {version}."), null, null);
            }

            set(version);
            return (
                Outcome.Done, current is null ? "not pinned" : $"pinned to {current}",
                version is null ? "not pinned" : $"pinned to {version} ({stream})");
        }, cancellationToken);

    /// <summary>Stops offering a release: no edge leads into it, for any device, until it is resumed.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> HaltReleaseAsync(
        int releaseId, string? reason, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "release.halt", "release", releaseId.ToString(CultureInfo.InvariantCulture), async (db, now) =>
        {
            if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > Release.MaxReasonLength)
            {
                return (
                    Outcome.Invalid("reason", $"Say why, in 1 to {Release.MaxReasonLength} characters."), null, null);
            }

            if (await db.Releases.SingleOrDefaultAsync(r => r.Id == releaseId, cancellationToken) is not { } release)
            {
                return (Outcome.NotFound("There is no such release."), null, null);
            }

            var before = Summary(release);
            if (!release.IsHalted)
            {
                Halt(release, reason.Trim(), actor.Name, now);
            }

            return (Outcome.Done, before, Summary(release));
        }, cancellationToken);

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> ResumeReleaseAsync(
        int releaseId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "release.resume", "release", releaseId.ToString(CultureInfo.InvariantCulture), async (db, now) =>
        {
            if (await db.Releases.SingleOrDefaultAsync(r => r.Id == releaseId, cancellationToken) is not { } release)
            {
                return (Outcome.NotFound("There is no such release."), null, null);
            }

            var before = Summary(release);
            if (release.IsHalted)
            {
                release.HaltedAt = null;
                release.HaltReason = null;
                release.HaltedBy = null;
                release.ResumedAt = now;
            }

            return (Outcome.Done, before, Summary(release));
        }, cancellationToken);

    /// <summary>Starts (or changes, or with null ends) a release's phased rollout; an import of updates.json overwrites it.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> SetRolloutAsync(
        int releaseId, RolloutInput? rollout, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "release.rollout", "release", releaseId.ToString(CultureInfo.InvariantCulture), async (db, now) =>
        {
            var errors = new List<OutcomeError>();
            if (rollout is not null && (!double.IsFinite(rollout.StartPercentage) || rollout.StartPercentage is < 0 or > 1))
            {
                errors.Add(OutcomeError.At("startPercentage", "A share between 0 and 1."));
            }

            if (rollout?.DurationMinutes is < 0 or > 5_256_000)
            {
                errors.Add(OutcomeError.At("durationMinutes", "Between 0 and 5,256,000 minutes (ten years)."));
            }

            if (errors.Count > 0)
            {
                return (Outcome.Invalid(errors), null, null);
            }

            if (await db.Releases.SingleOrDefaultAsync(r => r.Id == releaseId, cancellationToken) is not { } release)
            {
                return (Outcome.NotFound("There is no such release."), null, null);
            }

            var before = Summary(release);
            release.HasRollout = rollout is not null;
            release.RolloutStartEpoch = rollout is null ? null : (rollout.StartAt ?? now).ToUnixTimeSeconds();
            release.RolloutStartPercentage = rollout?.StartPercentage;
            release.RolloutDurationMinutes = rollout?.DurationMinutes;
            return (Outcome.Done, before, Summary(release));
        }, cancellationToken);

    internal static void Halt(Release release, string reason, string by, DateTimeOffset now)
    {
        release.HaltedAt = now;
        release.HaltReason = reason.Length <= Release.MaxReasonLength ? reason : reason[..Release.MaxReasonLength];
        release.HaltedBy = by;
    }

    private static async Task<IPausable?> FindAsync(FleetDbContext db, UpdateTarget target, CancellationToken cancellationToken) => target.Kind switch
    {
        UpdateTargetKind.Stream => await db.UpdateStreams.SingleOrDefaultAsync(s => s.Name == target.Key, cancellationToken),
        UpdateTargetKind.Group when int.TryParse(target.Key, CultureInfo.InvariantCulture, out var id) => await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == id, cancellationToken),
        UpdateTargetKind.Device when Guid.TryParse(target.Key, out var id) => await db.Devices.SingleOrDefaultAsync(d => d.Id == id, cancellationToken),
        _ => null,
    };

    private static Outcome NotFound(UpdateTarget? target) =>
        Outcome.NotFound($"There is no {target?.EntityType ?? "target"} '{target?.Key}'.");

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Summary(UpdateSettings s) =>
        $"default stream {s.DefaultStream}; halt a release when more than {s.FailureThresholdPercent}% of at least {s.FailureMinimumSample} devices fail";

    internal static string Summary(Release r) =>
        $"{r.StreamName} {r.Version}: "
        + (r.IsHalted ? $"halted by {r.HaltedBy} ({r.HaltReason})" : "not halted")
        + (r.HasRollout ? $", rollout from {r.RolloutStartEpoch} at {r.RolloutStartPercentage?.ToString("0.###", CultureInfo.InvariantCulture) ?? "0"} over {r.RolloutDurationMinutes?.ToString(CultureInfo.InvariantCulture) ?? "∞"} min" : ", no rollout");
}
