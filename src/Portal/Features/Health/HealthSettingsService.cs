using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Health;

/// <summary>The per-group health interval: stored on the group and pushed at once to its online devices.</summary>
public sealed class HealthSettingsService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    IDevicePublisher publisher,
    IOptions<DeviceOptions> deviceOptions,
    IOptions<HealthOptions> healthOptions,
    ILogger<HealthSettingsService> logger)
{
    /// <summary>Sets (or with null clears) a group's interval; false when refused, unknown or out of range (5 s to 1 day).</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<bool> SetGroupIntervalAsync(int groupId, int? seconds, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = groupId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (seconds is < 5 or > 86_400
            || !await authorizer.AllowedAsync(actor, Policies.ManageDevices, "group.health-interval", "group", key, cancellationToken))
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is not { } group)
        {
            return false;
        }

        var before = group.HealthIntervalSeconds;
        group.HealthIntervalSeconds = seconds;
        audit.Add(db, actor, "group.health-interval", "group", key, before?.ToString(System.Globalization.CultureInfo.InvariantCulture), seconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);

        var online = await db.Devices.AsNoTracking()
            .Where(d => d.IsOnline && (groupId == Updates.DeviceGroup.DefaultId ? d.GroupId == null || d.GroupId == groupId : d.GroupId == groupId))
            .Select(d => d.Id).ToListAsync(cancellationToken);
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new DeviceSettings(deviceOptions.Value.HeartbeatIntervalSeconds, seconds ?? healthOptions.Value.DefaultIntervalSeconds), FleetJson.Default.DeviceSettings);
        foreach (var id in online)
        {
            await publisher.PublishAsync(Topics.Settings(id.ToString("N")), payload, cancellationToken);
        }

        logger.LogInformation("Health interval of group {Group} set to {Seconds} s by {Actor}; pushed to {Count} online device(s)", group.Name, seconds, actor.Name, online.Count);
        return true;
    }
}
