using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>Assigning configs to the fleet default, a device group (the update groups) or one device.</summary>
public sealed partial class ConfigService
{
    public async Task<IReadOnlyList<AssignmentRow>> ListAssignmentsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.ConfigAssignments.AsNoTracking()
            .Join(db.Configs, a => a.ConfigId, c => c.Id, (a, c) => new { a, c.Name })
            .ToListAsync(cancellationToken);
        var groups = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var deviceIds = rows.Where(r => r.a.DeviceId != null).Select(r => r.a.DeviceId!.Value).ToList();
        var hosts = await db.Devices.AsNoTracking().Where(d => deviceIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Hostname, cancellationToken);
        return [.. rows.Select(r => new AssignmentRow(r.a.Id, r.a.ConfigId, r.Name, r.a.Scope, r.a.GroupId, r.a.DeviceId,
                r.a.Scope switch
                {
                    ConfigScope.Fleet => "fleet default",
                    ConfigScope.Group => $"group {groups.GetValueOrDefault(r.a.GroupId ?? 0, "?")}",
                    _ => $"device {hosts.GetValueOrDefault(r.a.DeviceId ?? Guid.Empty, "?")}",
                }, r.a.AssignedAt, r.a.AssignedBy))
            .OrderBy(r => r.Scope).ThenBy(r => r.TargetName, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Assigns a config to a target, replacing what that target had; answers for how many of the target's devices
    /// the config now renders (<see cref="CoverageAsync"/>), so a partial assignment is seen where it is made.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<RenderCoverage>> AssignAsync(
        int configId, ConfigScope scope, int? groupId, Guid? deviceId, Actor actor,
        CancellationToken cancellationToken = default)
    {
        var key = ConfigAssignment.KeyOf(scope, groupId, deviceId);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.assign", "config", configId.ToString(CultureInfo.InvariantCulture), cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var config = await db.Configs.AsNoTracking().SingleOrDefaultAsync(c => c.Id == configId, cancellationToken);
        if (config is null)
        {
            return Outcome.NotFound("There is no such config.");
        }

        var target = await TargetNameAsync(db, scope, groupId, deviceId, cancellationToken);
        if (target is null)
        {
            return Outcome.Invalid(
                scope == ConfigScope.Group ? "groupId" : "deviceId",
                scope == ConfigScope.Group ? "There is no such group." : "There is no such device.");
        }

        var assignment = await db.ConfigAssignments.SingleOrDefaultAsync(a => a.TargetKey == key, cancellationToken);
        var before = assignment is null ? null : $"{target}: config {assignment.ConfigId}";
        if (assignment?.ConfigId == configId)
        {
            return Outcome.Of(await CoverageAsync(scope, groupId, deviceId, cancellationToken));
        }

        if (assignment is null)
        {
            assignment = new ConfigAssignment
            {
                Scope = scope,
                GroupId = scope == ConfigScope.Group ? groupId : null,
                DeviceId = scope == ConfigScope.Device ? deviceId : null,
                TargetKey = key,
                AssignedBy = actor.Name,
            };
            db.ConfigAssignments.Add(assignment);
        }

        assignment.ConfigId = configId;
        assignment.AssignedAt = time.GetUtcNow();
        assignment.AssignedBy = actor.Name;
        audit.Add(db, actor, "config.assign", "config", configId.ToString(CultureInfo.InvariantCulture), before, $"{target}: config {config.Name}");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        var coverage = await CoverageAsync(scope, groupId, deviceId, cancellationToken);
        if (coverage.Partial)
        {
            logger.LogWarning("Config {Name} assigned to {Target} by {Actor} {Summary}",
                config.Name, target, actor.Name, coverage.Summary);
        }

        return Outcome.Of(coverage);
    }

    /// <summary>
    /// For how many of the approved devices a target reaches (every one for the fleet default, a group's, or the
    /// one device whatever its state) the configs assigned now render, and which they do not render for. Renders
    /// through the <see cref="IgnitionCache"/> that the <see cref="ConfigPusher"/> fills, so after a change the two
    /// render each device once between them.
    /// </summary>
    public async Task<RenderCoverage> CoverageAsync(
        ConfigScope scope, int? groupId, Guid? deviceId, CancellationToken cancellationToken = default)
    {
        List<Guid> ids;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var devices = scope switch
            {
                ConfigScope.Fleet => db.Devices.Where(d => d.State == EnrollmentState.Approved),
                ConfigScope.Group => UpdateAssignments.DevicesInGroup(db, groupId ?? DeviceGroup.DefaultId),
                _ => db.Devices.Where(d => d.Id == deviceId),
            };
            ids = await devices.AsNoTracking().Select(d => d.Id).ToListAsync(cancellationToken);
        }

        var unrendered = new List<UnrenderedDevice>();
        foreach (var chunk in ids.Chunk(CoverageChunk))
        {
            foreach (var (id, served) in await cache.GetManyAsync(chunk, SecretMode.Reveal, cancellationToken))
            {
                if (!served.Rendered.Succeeded)
                {
                    unrendered.Add(new(id, served.Rendered.Hostname, served.Rendered.Missing,
                        served.Rendered.Error ?? "no config"));
                }
            }
        }

        return RenderCoverage.Of(ids.Count, unrendered);
    }

    /// <summary>Devices rendered together for <see cref="CoverageAsync"/> (the pusher's chunk).</summary>
    private const int CoverageChunk = 500;

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> UnassignAsync(
        ConfigScope scope, int? groupId, Guid? deviceId, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = ConfigAssignment.KeyOf(scope, groupId, deviceId);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.unassign", "config", key, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var assignment = await db.ConfigAssignments.SingleOrDefaultAsync(a => a.TargetKey == key, cancellationToken);
        if (assignment is null)
        {
            return Outcome.NotFound("Nothing is assigned there.");
        }

        db.ConfigAssignments.Remove(assignment);
        audit.Add(db, actor, "config.unassign", "config", assignment.ConfigId.ToString(CultureInfo.InvariantCulture), $"{key}: config {assignment.ConfigId}", $"{key}: none");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    private static async Task<string?> TargetNameAsync(Data.FleetDbContext db, ConfigScope scope, int? groupId, Guid? deviceId, CancellationToken cancellationToken) => scope switch
    {
        ConfigScope.Fleet => "fleet default",
        ConfigScope.Group => await db.DeviceGroups.AsNoTracking().Where(g => g.Id == (groupId ?? DeviceGroup.DefaultId) && groupId != null).Select(g => "group " + g.Name).SingleOrDefaultAsync(cancellationToken),
        _ => await db.Devices.AsNoTracking().Where(d => d.Id == deviceId).Select(d => "device " + d.Hostname).SingleOrDefaultAsync(cancellationToken),
    };
}
