using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Agents;

/// <summary>Where a target's rollout stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentTargetState>))]
public enum AgentTargetState
{
    /// <summary>Offered to its share of the scope; not every device runs it yet.</summary>
    RollingOut,

    /// <summary>Too many devices failed to install it: nothing is offered until an Admin resumes it.</summary>
    Halted,

    /// <summary>Offered to every device of the scope, and every one runs it.</summary>
    Complete,
}

/// <summary>A target as the Agent page and <c>/api/v1/agents/targets</c> show it, with its scope's devices.</summary>
/// <param name="GroupId">The group it overrides the fleet default for; null for the fleet default.</param>
/// <param name="Scope">"fleet", or the group's name.</param>
/// <param name="Version">The agent version the scope should run.</param>
/// <param name="PreviousVersion">The version it had before (what new machines outside the rollout install).</param>
/// <param name="Percent">Share of the scope's devices offered <paramref name="Version"/>, 0–100.</param>
/// <param name="State">Rolling out, halted or complete.</param>
/// <param name="HaltedAt">When failed self-updates halted it; null while it runs.</param>
/// <param name="HaltReason">Why it halted.</param>
/// <param name="Failures">Failed self-updates counted since the version was set or the rollout resumed.</param>
/// <param name="ChangedAt">When an Admin last changed it.</param>
/// <param name="ChangedBy">Who did.</param>
/// <param name="Devices">Approved devices of the scope.</param>
/// <param name="OnTarget">Of those, devices that run <paramref name="Version"/>.</param>
/// <param name="Offered">Devices offered <paramref name="Version"/> now.</param>
/// <param name="Failed">Devices whose last report of <paramref name="Version"/> is a refusal, failure or roll-back.
/// </param>
public sealed record AgentTargetRow(
    int? GroupId,
    string Scope,
    string Version,
    string? PreviousVersion,
    int Percent,
    AgentTargetState State,
    DateTimeOffset? HaltedAt,
    string? HaltReason,
    int Failures,
    DateTimeOffset ChangedAt,
    string ChangedBy,
    int Devices,
    int OnTarget,
    int Offered,
    int Failed);

/// <summary>What is asked of a scope: run <paramref name="Version"/> on <paramref name="Percent"/> % of its devices.
/// </summary>
public sealed record AgentTargetInput(string Version, int Percent = 100);

/// <summary>A device's agent as its page shows it: what runs, what it should run, how the last update went.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Running">The version it runs (from its last Online).</param>
/// <param name="Desired">Its scope's target version; null when none is set.</param>
/// <param name="Offered">The version offered to it now; null when none is.</param>
/// <param name="OfferedAt">When the offer was made.</param>
/// <param name="Why">What is offered, or why nothing is (halted, outside the rollout, no build).</param>
/// <param name="ReportedVersion">The version its last self-update report was about.</param>
/// <param name="LastResult">Installed, refused, failed or rolled back.</param>
/// <param name="LastDetail">The report's reason (a refusal's, a failure's, a roll-back's).</param>
/// <param name="LastResultAt">When the portal received the report.</param>
public sealed record DeviceAgentView(
    Guid DeviceId,
    string? Running,
    string? Desired,
    string? Offered,
    DateTimeOffset? OfferedAt,
    string Why,
    string? ReportedVersion,
    [property: JsonConverter(typeof(JsonStringEnumConverter<AgentUpdateResult>))] AgentUpdateResult? LastResult,
    string? LastDetail,
    DateTimeOffset? LastResultAt);

/// <summary>
/// The agent version each scope runs: the fleet default and group overrides, their phased rollout, and the halt
/// when self-updates to a version fail (<see cref="AgentDeliveryOptions.HaltAfterFailures"/>). Reads need no
/// policy; changes need <see cref="Policies.ManageAgents"/> (Admin), are audited in the same transaction and wake the
/// <see cref="AgentReleasePusher"/>.
/// </summary>
public sealed class AgentTargetService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    AgentNotifier notifier,
    IOptions<AgentDeliveryOptions> options,
    TimeProvider time,
    ILogger<AgentTargetService> logger)
{
    public const string EntityType = "agent-target";

    /// <summary>The fleet default first, then group overrides by group name, with their devices counted.</summary>
    public async Task<IReadOnlyList<AgentTargetRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var targets = await db.AgentTargets.AsNoTracking().ToListAsync(cancellationToken);
        var names = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var devices = await db.Devices.AsNoTracking().Where(d => d.State == EnrollmentState.Approved)
            .Select(d => new { d.Id, d.GroupId, d.AgentVersion }).ToListAsync(cancellationToken);
        var states = await db.DeviceAgentStates.AsNoTracking().ToDictionaryAsync(s => s.DeviceId, cancellationToken);
        return [.. targets
            .OrderBy(t => t.GroupId is null ? 0 : 1)
            .ThenBy(t => t.GroupId is { } g ? names.GetValueOrDefault(g, "?") : string.Empty, StringComparer.Ordinal)
            .Select(t =>
            {
                var scope = devices.Where(d => AgentRollout.TargetFor(d.GroupId, targets) == t)
                    .ToList();
                var onTarget = scope.Count(d => d.AgentVersion == t.Version);
                var offered = scope.Count(d => states.GetValueOrDefault(d.Id)?.OfferedVersion == t.Version);
                var failed = scope.Count(d => states.GetValueOrDefault(d.Id) is { } s
                    && s.ReportedVersion == t.Version && AgentRollout.IsFailure(s.LastResult));
                var state = t.HaltedAt is not null ? AgentTargetState.Halted
                    : t.Percent == 100 && onTarget == scope.Count ? AgentTargetState.Complete
                    : AgentTargetState.RollingOut;
                return new AgentTargetRow(t.GroupId, t.GroupId is { } id ? names.GetValueOrDefault(id, "?") : "fleet",
                    t.Version, t.PreviousVersion, t.Percent, state, t.HaltedAt, t.HaltReason, t.Failures, t.ChangedAt,
                    t.ChangedBy, scope.Count, onTarget, offered, failed);
            })];
    }

    /// <summary>The versions the portal holds a build of (any architecture): the choices for a target.</summary>
    public async Task<IReadOnlyList<string>> ListVersionsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var versions = await db.AgentBuilds.AsNoTracking().Select(b => b.Version).Distinct()
            .ToListAsync(cancellationToken);
        return [.. versions.Order(StringComparer.Ordinal)];
    }

    /// <summary>A device's agent; null when there is no such device.</summary>
    public async Task<DeviceAgentView?> GetDeviceAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null)
        {
            return null;
        }

        var targets = await db.AgentTargets.AsNoTracking().ToListAsync(cancellationToken);
        var builds = await db.AgentBuilds.AsNoTracking().ToListAsync(cancellationToken);
        var state = await db.DeviceAgentStates.AsNoTracking()
            .SingleOrDefaultAsync(s => s.DeviceId == deviceId, cancellationToken);
        var offer = AgentRollout.OfferTo(
            device.Id, device.GroupId, device.Architecture, device.AgentVersion, targets, builds);
        return new DeviceAgentView(device.Id, device.AgentVersion, offer.Target?.Version, state?.OfferedVersion,
            state?.OfferedAt, offer.Why, state?.ReportedVersion, state?.LastResult, state?.LastDetail,
            state?.LastResultAt);
    }

    /// <summary>
    /// Sets the fleet default (<paramref name="groupId"/> null) or a group's override. A new version keeps the old one
    /// as <see cref="AgentTarget.PreviousVersion"/>, clears a halt and starts the failure count afresh.
    /// </summary>
    [RequiresPolicy(Policies.ManageAgents)]
    public Task<Outcome> SetAsync(
        int? groupId, AgentTargetInput input, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "agent-target.set", groupId, async (db, now) =>
        {
            var errors = new List<OutcomeError>();
            var version = input?.Version?.Trim() ?? string.Empty;
            if (version.Length is 0 or > Protocol.MaxAgentVersionLength)
            {
                errors.Add(OutcomeError.At(
                    "version", $"Name a version of 1 to {Protocol.MaxAgentVersionLength} characters."));
            }
            else if (!await db.AgentBuilds.AnyAsync(b => b.Version == version, cancellationToken))
            {
                errors.Add(OutcomeError.At("version", $"The portal holds no build of {version}; add one first."));
            }

            if (input?.Percent is not (>= 0 and <= 100))
            {
                errors.Add(OutcomeError.At("percent", "Between 0 and 100."));
            }

            if (errors.Count > 0)
            {
                return (Outcome.Invalid(errors), null, null);
            }

            if (groupId is { } id && !await db.DeviceGroups.AnyAsync(g => g.Id == id, cancellationToken))
            {
                return (Outcome.NotFound($"There is no group {id}."), null, null);
            }

            var target = await FindAsync(db, groupId, cancellationToken);
            var before = target is null ? null : Summary(target);
            if (target is null)
            {
                // A new override takes over from the fleet default: what the group ran before.
                var fleet = groupId is null ? null : await FindAsync(db, null, cancellationToken);
                target = new AgentTarget
                {
                    TargetKey = AgentTarget.KeyOf(groupId), GroupId = groupId, Version = version,
                    PreviousVersion = fleet?.Version, ChangedBy = actor.Name,
                };
                db.AgentTargets.Add(target);
            }
            else if (target.Version != version)
            {
                target.PreviousVersion = target.Version;
                target.Version = version;
                Resume(target);
            }

            target.Percent = input!.Percent;
            var after = Summary(target);
            if (after != before)
            {
                target.ChangedAt = now;
                target.ChangedBy = actor.Name;
            }

            return (Outcome.Done, before, after);
        }, cancellationToken);

    /// <summary>Removes a group's override: its devices follow the fleet default again.</summary>
    [RequiresPolicy(Policies.ManageAgents)]
    public Task<Outcome> RemoveAsync(int groupId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "agent-target.remove", groupId, async (db, _) =>
        {
            if (await FindAsync(db, groupId, cancellationToken) is not { } target)
            {
                return (Outcome.NotFound($"Group {groupId} has no agent version of its own."), null, null);
            }

            db.AgentTargets.Remove(target);
            return (Outcome.Done, Summary(target), null);
        }, cancellationToken);

    /// <summary>Resumes a halted rollout: offers start again and the failure count starts afresh.</summary>
    [RequiresPolicy(Policies.ManageAgents)]
    public Task<Outcome> ResumeAsync(int? groupId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "agent-target.resume", groupId, async (db, now) =>
        {
            if (await FindAsync(db, groupId, cancellationToken) is not { } target)
            {
                return (Outcome.NotFound(groupId is null
                    ? "No fleet agent version is set."
                    : $"Group {groupId} has no agent version of its own."), null, null);
            }

            if (target.HaltedAt is null)
            {
                return (Outcome.Conflict($"The rollout of {target.Version} is not halted."), null, null);
            }

            var before = Summary(target);
            Resume(target);
            target.ChangedAt = now;
            target.ChangedBy = actor.Name;
            return (Outcome.Done, before, Summary(target));
        }, cancellationToken);

    /// <summary>
    /// Counts self-update failures reported by devices (called by the ingest of agent reports, after its commit) and
    /// halts a target whose version reached <see cref="AgentDeliveryOptions.HaltAfterFailures"/> in its scope. A
    /// report about another version than the device's target (an old offer) does not count.
    /// </summary>
    internal async Task RecordFailuresAsync(
        IReadOnlyList<(Guid DeviceId, string Version, string? Detail)> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var targets = await db.AgentTargets.ToListAsync(cancellationToken);
        var ids = failures.Select(f => f.DeviceId).Distinct().ToList();
        var groups = await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id))
            .ToDictionaryAsync(d => d.Id, d => d.GroupId, cancellationToken);
        var halted = new List<AgentTarget>();
        var limit = options.Value.HaltAfterFailures;
        foreach (var (deviceId, version, detail) in failures)
        {
            if (!groups.TryGetValue(deviceId, out var groupId)
                || AgentRollout.TargetFor(groupId, targets) is not { } target
                || target.Version != version || target.HaltedAt is not null)
            {
                continue;
            }

            target.Failures++;
            if (target.Failures >= limit)
            {
                var before = Summary(target);
                target.HaltedAt = time.GetUtcNow();
                target.HaltReason = Truncate(string.Create(CultureInfo.InvariantCulture,
                    $"automatic: {target.Failures} failed self-updates to {version}; last from device {deviceId:N}: "
                    + $"{detail ?? "no detail"}"));
                audit.Add(db, Actor.System, "agent-target.halt", EntityType, target.TargetKey, before, Summary(target));
                logger.LogWarning("Halted the agent rollout of {Version} for {Scope}: {Failures} failed self-updates",
                    version, target.TargetKey, target.Failures);
                halted.Add(target);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (halted.Count > 0)
        {
            notifier.Notify();
        }
    }

    /// <summary>How an audit entry shows a target.</summary>
    internal static string Summary(AgentTarget target) =>
        string.Create(CultureInfo.InvariantCulture, $"{target.Version} to {target.Percent}%")
        + (target.HaltedAt is null ? string.Empty : $", halted: {target.HaltReason}");

    private static void Resume(AgentTarget target)
    {
        target.HaltedAt = null;
        target.HaltReason = null;
        target.Failures = 0;
    }

    private static string Truncate(string text) =>
        text.Length <= 1024 ? text : string.Concat(text.AsSpan(0, 1023), "…");

    private static Task<AgentTarget?> FindAsync(FleetDbContext db, int? groupId, CancellationToken cancellationToken)
    {
        var key = AgentTarget.KeyOf(groupId);
        return db.AgentTargets.SingleOrDefaultAsync(t => t.TargetKey == key, cancellationToken);
    }

    /// <summary>
    /// The frame of every change: check the policy (a refusal is audited), run <paramref name="change"/> on a fresh
    /// context, and when it changed something add its audit entry, commit both together and wake the pusher.
    /// </summary>
    private async Task<Outcome> ChangeAsync(
        Actor actor,
        string action,
        int? groupId,
        Func<FleetDbContext, DateTimeOffset, Task<(Outcome Change, string? Before, string? After)>> change,
        CancellationToken cancellationToken)
    {
        var key = AgentTarget.KeyOf(groupId);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageAgents, action, EntityType, key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change which agent version devices run.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (result, before, after) = await change(db, time.GetUtcNow());
        if (!result.Succeeded || before == after)
        {
            return result;   // refused, or nothing to do: no audit entry for a change that did not happen
        }

        audit.Add(db, actor, action, EntityType, key, before, after);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("{Action} on {Scope} by {Actor}: {After}", action, key, actor.Name, after ?? "removed");
        notifier.Notify();
        return result;
    }
}
