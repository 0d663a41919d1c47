using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates;

/// <summary>Groups, and putting devices in them or on a stream of their own.</summary>
public sealed partial class UpdateService
{
    public const int MaxFleetLockSlots = 1000;

    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> CreateGroupAsync(
        GroupInput input, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "group.create", "group", input?.Name, async (db, now) =>
        {
            if (await ValidateAsync(db, input, null, cancellationToken) is { } invalid)
            {
                return (invalid, null, null);
            }

            var group = new DeviceGroup { Name = input!.Name.Trim(), CreatedAt = now };
            Apply(group, input);
            db.DeviceGroups.Add(group);
            return (Outcome.Done, null, Summary(group));
        }, cancellationToken);

    /// <summary>Changes a group's name, description, stream, slots and window (its pause and pin have their own actions).</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> UpdateGroupAsync(
        int groupId, GroupInput input, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "group.update", "group", groupId.ToString(CultureInfo.InvariantCulture), async (db, now) =>
        {
            var group = await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken);
            if (group is null)
            {
                return (Outcome.NotFound("There is no such group."), null, null);
            }

            if (await ValidateAsync(db, input, group, cancellationToken) is { } invalid)
            {
                return (invalid, null, null);
            }

            var before = Summary(group);
            group.Name = input!.Name.Trim();
            Apply(group, input);
            return (Outcome.Done, before, Summary(group));
        }, cancellationToken);

    /// <summary>Deletes a group: its devices go back to the default group, its reboot slots are freed. The default group stays.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> DeleteGroupAsync(int groupId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "group.delete", "group", groupId.ToString(CultureInfo.InvariantCulture), async (db, now) =>
        {
            if (groupId == DeviceGroup.DefaultId)
            {
                return (
                    Outcome.Conflict(
                        "The default group cannot be deleted: it holds every device not put in another group."),
                    null, null);
            }

            var group = await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken);
            if (group is null)
            {
                return (Outcome.NotFound("There is no such group."), null, null);
            }

            var devices = await db.Devices.CountAsync(d => d.GroupId == groupId, cancellationToken);
            db.DeviceGroups.Remove(group);
            return (Outcome.Done, Summary(group), $"deleted; {devices} device(s) moved to the default group");
        }, cancellationToken);

    /// <summary>Puts devices in a group (null or the default group's id: back to the default group). One audit entry per device moved.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> AssignDevicesAsync(
        int? groupId, IEnumerable<Guid> deviceIds, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.group", "device", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change update settings.");
        }

        var ids = deviceIds?.Distinct().ToList() ?? [];
        if (ids.Count is 0 or > 10_000)
        {
            return Outcome.Invalid("deviceIds", "Choose 1 to 10,000 devices.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var target = groupId is null or DeviceGroup.DefaultId ? null : groupId;
        var groupName = DeviceGroup.DefaultName;
        if (target is not null)
        {
            var group = await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == target, cancellationToken);
            if (group is null)
            {
                return Outcome.NotFound("There is no such group.");
            }

            groupName = group.Name;
        }

        var devices = await db.Devices.Where(d => ids.Contains(d.Id)).ToListAsync(cancellationToken);
        if (devices.Count < ids.Count)
        {
            return Outcome.NotFound($"{ids.Count - devices.Count} of the devices do not exist; nothing was changed.");
        }

        var names = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        foreach (var device in devices.Where(d => d.GroupId != target))
        {
            var before = names.GetValueOrDefault(device.GroupId ?? DeviceGroup.DefaultId, "?");
            device.GroupId = target;
            audit.Add(db, actor, "device.group", "device", device.Id.ToString("N"), $"{device.Hostname} in group {before}", $"{device.Hostname} in group {groupName}");
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("{Count} device(s) put in group {Group} by {Actor}", devices.Count, groupName, actor.Name);
        notifier.Notify();
        return Outcome.Done;
    }

    /// <summary>Gives a device a stream of its own (null: its group's again).</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome> SetDeviceStreamAsync(
        Guid deviceId, string? stream, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, "device.stream", "device", deviceId.ToString("N"), async (db, now) =>
        {
            stream = string.IsNullOrWhiteSpace(stream) ? null : stream.Trim();
            if (stream is not null && !await db.UpdateStreams.AnyAsync(s => s.Name == stream, cancellationToken))
            {
                return (Outcome.Invalid("stream", $"There is no stream '{stream}'."), null, null);
            }

            var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
            if (device is null)
            {
                return (Outcome.NotFound("There is no such device."), null, null);
            }

            var before = $"{device.Hostname}: stream {device.UpdateStreamOverride ?? "of its group"}";
            device.UpdateStreamOverride = stream;
            return (Outcome.Done, before, $"{device.Hostname}: stream {stream ?? "of its group"}");
        }, cancellationToken);

    private static async Task<Outcome?> ValidateAsync(
        FleetDbContext db, GroupInput? input, DeviceGroup? existing, CancellationToken cancellationToken)
    {
        if (input is null)
        {
            return Outcome.Invalid("", "Fill in the group.");
        }

        var errors = new List<OutcomeError>();
        var name = input.Name?.Trim() ?? string.Empty;
        if (!UpdateRules.IsGroupName(name))
        {
            errors.Add(OutcomeError.At(
                "name", "Use 1 to 64 letters, digits, '.' or '-' (what Zincati accepts as a group)."));
        }
        else if (existing?.Id == DeviceGroup.DefaultId && name != DeviceGroup.DefaultName)
        {
            errors.Add(OutcomeError.At(
                "name", "The default group keeps its name: Zincati uses it when a device is configured with none."));
        }
        else if (await db.DeviceGroups.AnyAsync(g => g.Name == name && g.Id != (existing == null ? 0 : existing.Id), cancellationToken))
        {
            errors.Add(OutcomeError.At("name", $"There is already a group '{name}'."));
        }

        if (input.Description?.Length > 500)
        {
            errors.Add(OutcomeError.At("description", "At most 500 characters."));
        }

        if (input.StreamOverride is { Length: > 0 } stream && !await db.UpdateStreams.AnyAsync(s => s.Name == stream, cancellationToken))
        {
            errors.Add(OutcomeError.At("streamOverride", $"There is no stream '{stream}'."));
        }

        if (input.FleetLockSlots is < 1 or > MaxFleetLockSlots)
        {
            errors.Add(OutcomeError.At(
                "fleetLockSlots", $"Between 1 and {MaxFleetLockSlots} devices rebooting at once."));
        }

        if (input.MaintenanceDays != WeekDays.None)
        {
            if ((input.MaintenanceDays & ~WeekDays.All) != 0)
            {
                errors.Add(OutcomeError.At("maintenanceDays", "Only the seven days of the week."));
            }

            if (input.MaintenanceStartUtc is null)
            {
                errors.Add(OutcomeError.At("maintenanceStartUtc", "A window needs a start time (UTC)."));
            }

            if (input.MaintenanceDurationMinutes is not (>= 1 and <= MaintenanceWindow.MaxDurationMinutes))
            {
                errors.Add(OutcomeError.At(
                    "maintenanceDurationMinutes",
                    $"A window lasts 1 to {MaintenanceWindow.MaxDurationMinutes} minutes."));
            }
        }

        return errors.Count > 0 ? Outcome.Invalid(errors) : null;
    }

    private static void Apply(DeviceGroup group, GroupInput input)
    {
        group.Description = Blank(input.Description);
        group.StreamOverride = Blank(input.StreamOverride);
        group.FleetLockSlots = input.FleetLockSlots;
        group.PasswordsAllowed = input.PasswordsAllowed;
        var window = input.MaintenanceDays != WeekDays.None;
        group.MaintenanceDays = input.MaintenanceDays;
        group.MaintenanceStartUtc = window ? input.MaintenanceStartUtc : null;
        group.MaintenanceDurationMinutes = window ? input.MaintenanceDurationMinutes : null;
    }

    private static string Summary(DeviceGroup g) =>
        $"{g.Name}: stream {g.StreamOverride ?? "(fleet default)"}, {g.FleetLockSlots} reboot slot(s), "
        + $"window {g.Window?.ToString() ?? "none"}, passwords {(g.PasswordsAllowed ? "allowed" : "refused")}, "
        + $"description {g.Description ?? "(none)"}";
}
