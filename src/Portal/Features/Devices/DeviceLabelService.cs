using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Devices;

/// <summary>Puts labels on devices and takes them off, one device or many at once; every change is audited.</summary>
public sealed class DeviceLabelService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    ConfigNotifier configs,
    DeviceNotifier devices,
    TimeProvider time)
{
    /// <summary>Most devices changed in one call (the Devices page's largest page is 250).</summary>
    public const int MaxDevices = 1000;

    /// <summary>Every label name in use, with how many devices carry it, for pickers and the filter.</summary>
    public async Task<IReadOnlyList<(string Name, int Devices)>> ListNamesAsync(
        CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var names = await db.DeviceVariables.AsNoTracking()
            .Where(v => !v.IsSecret && v.Name.StartsWith(DeviceLabels.VariablePrefix))
            .GroupBy(v => v.Name)
            .Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return [.. names
            .Select(n => (n.Key[DeviceLabels.VariablePrefix.Length..], n.Count))
            .OrderBy(n => n.Item1, StringComparer.Ordinal)];
    }

    /// <summary>One device's labels, sorted by name.</summary>
    public async Task<IReadOnlyList<DeviceLabel>> OfDeviceAsync(
        Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var variables = await db.DeviceVariables.AsNoTracking()
            .Where(v => v.DeviceId == deviceId && !v.IsSecret && v.Name.StartsWith(DeviceLabels.VariablePrefix))
            .ToListAsync(cancellationToken);
        return [.. variables
            .Select(v => DeviceLabels.FromVariable(v.Name, v.Value, v.IsSecret)!)
            .OrderBy(l => l.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Adds <paramref name="add"/> (replacing a label's value where the device has it) and removes the labels named
    /// in <paramref name="remove"/> on each of <paramref name="ids"/>; answers how many devices changed.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<int>> ChangeAsync(
        IReadOnlyCollection<Guid>? ids,
        IReadOnlyCollection<DeviceLabel>? add,
        IReadOnlyCollection<string>? remove,
        Actor actor,
        CancellationToken cancellationToken = default)
    {
        // Authorized first: a refused caller learns nothing about its arguments.
        if (!await authorizer.AllowedAsync(
                actor, Policies.ManageDevices, "device.labels", "device", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change device labels.");
        }

        ids ??= [];
        add ??= [];
        remove ??= [];

        if (ids.Count is 0 or > MaxDevices)
        {
            return Outcome.Invalid("ids", $"Choose 1 to {MaxDevices} devices.");
        }

        if (add.Count == 0 && remove.Count == 0)
        {
            return Outcome.Invalid("labels", "Name at least one label to add or remove.");
        }

        if (add.FirstOrDefault(a => remove.Contains(a.Name)) is { } both)
        {
            return Outcome.Invalid("remove", $"'{both.Name}' is both added and removed.");
        }

        foreach (var label in add)
        {
            if (!DeviceLabels.TryParse(label.ToString(), out _, out var error))
            {
                return Outcome.Invalid("add", error);
            }
        }

        var removed = remove.Select(DeviceLabels.VariableName).ToHashSet(StringComparer.Ordinal);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var known = await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id))
            .Select(d => new { d.Id, d.Hostname }).ToListAsync(cancellationToken);
        if (known.Count != ids.Distinct().Count())
        {
            return Outcome.NotFound("One or more of the devices no longer exist; nothing was changed.");
        }

        var variables = await db.DeviceVariables
            .Where(v => ids.Contains(v.DeviceId) && v.Name.StartsWith(DeviceLabels.VariablePrefix))
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var changed = new List<Guid>();
        foreach (var device in known)
        {
            var mine = variables.Where(v => v.DeviceId == device.Id).ToList();
            var before = Shown(mine);
            foreach (var variable in mine.Where(v => removed.Contains(v.Name) && !v.IsSecret))
            {
                db.DeviceVariables.Remove(variable);
            }

            foreach (var label in add)
            {
                var name = DeviceLabels.VariableName(label.Name);
                var row = mine.SingleOrDefault(v => v.Name == name);
                if (row is null)
                {
                    db.DeviceVariables.Add(new DeviceVariable
                    {
                        DeviceId = device.Id, Name = name, Value = label.Value, UpdatedAt = now,
                    });
                }
                else if (row.IsSecret)
                {
                    // Nothing is saved: the context is dropped with the changes made so far.
                    return Outcome.Conflict($"{device.Hostname} has a secret variable {name}; it is not a label.");
                }
                else if (row.Value != label.Value)
                {
                    row.Value = label.Value;
                    row.UpdatedAt = now;
                }
            }

            var kept = mine.Where(v =>
                !removed.Contains(v.Name) && !add.Any(a => DeviceLabels.VariableName(a.Name) == v.Name));
            var after = Shown(kept.Select(v => DeviceLabels.FromVariable(v.Name, v.Value, v.IsSecret))
                .OfType<DeviceLabel>()
                .Concat(add));
            if (before != after)
            {
                var id = device.Id.ToString("N");
                audit.Add(db, actor, "device.labels", "device", id, $"{device.Hostname}: {before}", after);
                changed.Add(device.Id);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        if (changed.Count > 0)
        {
            configs.Notify();   // {{device.labels.NAME}} may render differently now
            devices.Notify(changed);
        }

        return changed.Count;
    }

    private static string Shown(IEnumerable<DeviceVariable> variables) =>
        Shown(variables.Select(v => DeviceLabels.FromVariable(v.Name, v.Value, v.IsSecret)).OfType<DeviceLabel>());

    private static string Shown(IEnumerable<DeviceLabel> labels)
    {
        var text = string.Join(", ", labels.Select(l => l.ToString()).Order(StringComparer.Ordinal));
        return text.Length == 0 ? "no labels" : text;
    }
}
