using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>One device's rendered config: the merged, templated Ignition, which layer each entry came from, or why it could not be rendered.</summary>
public sealed record RenderedConfig(
    Guid DeviceId,
    string Hostname,
    EnrollmentState State,
    IReadOnlyList<string> Macs,
    string MachineId,
    JsonObject? Ignition,
    IReadOnlyDictionary<string, string> Origins,
    IReadOnlyList<string> Layers,
    string? Error)
{
    public bool Succeeded => Ignition is not null && Error is null;

    /// <summary>What the render left out and why (e.g. no agent build for the device's architecture); the config is
    /// still served.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The device's render inputs as this render read them (see <see cref="ConfigRenderer.FingerprintAsync"/>).</summary>
    public string? Fingerprint { get; init; }

    /// <summary>The templates (<c>vars.site</c>) the config uses that this device does not define, when that is
    /// why it did not render.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];
}

/// <summary>
/// Renders a device's config: the built-in agent layer (<see cref="Agents.AgentLayer"/>), then the latest versions
/// assigned to the fleet default, its group and itself, merged in that order (later layers win, origins kept),
/// SSH keys of every user and of its group added
/// to the <c>core</c> user, then templates expanded. When devices reach the portal over HTTPS, the portal CA is added
/// to the config's certificate authorities (<see cref="Certificates.IgnitionTrust"/>). Reads only; callers cache.
/// </summary>
public sealed class ConfigRenderer(
    IDbContextFactory<FleetDbContext> dbFactory,
    IConfigToolchain toolchain,
    ConfigSecrets secrets,
    Agents.AgentLayer agentLayer,
    Certificates.PortalCertificateAuthority authority,
    Devices.PortalPublicUrl publicUrl,
    TimeProvider time,
    ILogger<ConfigRenderer> logger)
{
    public const string CoreUser = "core";

    /// <summary>
    /// Everything about the device itself that a render reads (state, hostname, group, machine-id, MACs,
    /// architecture); null
    /// for an unknown device. One small query: a device change that leaves it alone (a heartbeat, a health
    /// report, a presence flip) does not need a new render.
    /// </summary>
    public async Task<string?> FingerprintAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Id == deviceId)
            .Select(d => new
            {
                d.State, d.Hostname, d.GroupId, d.MachineId, d.PrimaryMac, d.Architecture,
                Macs = d.Macs.Select(m => m.Mac).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        return device is null ? null : Fingerprint(device.State, device.Hostname, device.GroupId, device.MachineId,
            device.PrimaryMac, device.Architecture, device.Macs);
    }

    private static string Fingerprint(EnrollmentState state, string hostname, int? groupId, string machineId,
        string primaryMac, string architecture, IEnumerable<string> macs) =>
        string.Join('|', state, hostname, groupId, machineId, primaryMac, architecture,
            string.Join(',', macs.Order(StringComparer.Ordinal)));

    public async Task<RenderedConfig?> RenderAsync(Guid deviceId, SecretMode mode, CancellationToken cancellationToken = default) =>
        (await RenderManyAsync([deviceId], mode, cancellationToken)).GetValueOrDefault(deviceId);

    /// <summary>
    /// Renders several devices from one read of their inputs: five queries for the whole set (devices with their
    /// MACs, group names, the assignments of the fleet, their groups and themselves with the latest versions, SSH
    /// keys, variables), not five per device. Unknown devices are missing from the result.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, RenderedConfig>> RenderManyAsync(IReadOnlyCollection<Guid> deviceIds, SecretMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var results = new Dictionary<Guid, RenderedConfig>(deviceIds.Count);
        if (deviceIds.Count == 0)
        {
            return results;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var chunk in deviceIds.Distinct().Chunk(RenderChunk))
        {
            var devices = await db.Devices.AsNoTracking().Include(d => d.Macs).Where(d => chunk.Contains(d.Id)).ToListAsync(cancellationToken);
            if (devices.Count == 0)
            {
                continue;
            }

            var groupIds = devices.Select(d => d.GroupId ?? DeviceGroup.DefaultId).Distinct().ToList();
            var groupNames = await db.DeviceGroups.AsNoTracking().Where(g => groupIds.Contains(g.Id)).ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
            var keys = groupIds.Select(g => ConfigAssignment.KeyOf(ConfigScope.Group, g, null))
                .Concat(devices.Select(d => ConfigAssignment.KeyOf(ConfigScope.Device, null, d.Id)))
                .Append(ConfigAssignment.KeyOf(ConfigScope.Fleet, null, null))
                .ToList();
            var layers = (await db.ConfigAssignments.AsNoTracking().Where(a => keys.Contains(a.TargetKey))
                    .Join(db.Configs, a => a.ConfigId, c => c.Id, (a, c) => new { a.TargetKey, c.Id, c.Name, c.LatestVersion })
                    .Join(db.ConfigVersions, x => new { ConfigId = x.Id, Number = x.LatestVersion }, v => new { v.ConfigId, v.Number }, (x, v) => new { x.TargetKey, x.Name, v.Number, v.CompiledJson })
                    .ToListAsync(cancellationToken))
                .ToDictionary(l => l.TargetKey, l => new Layer(l.Name, l.Number, l.CompiledJson), StringComparer.Ordinal);
            var sshKeys = await db.SshKeys.AsNoTracking().Where(k => k.UserName != null || (k.GroupId != null && groupIds.Contains(k.GroupId.Value)))
                .OrderBy(k => k.Id).Select(k => new { k.GroupId, k.UserName, k.PublicKey }).ToListAsync(cancellationToken);
            var ids = devices.Select(d => d.Id).ToList();
            var variables = (await db.DeviceVariables.AsNoTracking().Where(v => ids.Contains(v.DeviceId)).ToListAsync(cancellationToken)).ToLookup(v => v.DeviceId);
            var agent = await agentLayer.ReadAsync(db, groupIds, time.GetUtcNow(), cancellationToken);
            foreach (var device in devices)
            {
                var groupId = device.GroupId ?? DeviceGroup.DefaultId;
                var scoped = new List<(ConfigScope, Layer)>(3);
                foreach (var (scope, key) in new[]
                {
                    (ConfigScope.Fleet, ConfigAssignment.KeyOf(ConfigScope.Fleet, null, null)),
                    (ConfigScope.Group, ConfigAssignment.KeyOf(ConfigScope.Group, groupId, null)),
                    (ConfigScope.Device, ConfigAssignment.KeyOf(ConfigScope.Device, null, device.Id)),
                })
                {
                    if (layers.TryGetValue(key, out var layer))
                    {
                        scoped.Add((scope, layer));
                    }
                }

                var deviceKeys = sshKeys.Where(k => k.UserName != null || k.GroupId == groupId).Select(k => k.PublicKey).ToList();
                var builtIn = agent is null ? default : agentLayer.For(device, groupId, agent, mode);
                var groupName = groupNames.GetValueOrDefault(groupId) ?? DeviceGroup.DefaultName;
                results[device.Id] = Render(
                    device, groupName, builtIn, scoped, deviceKeys, [.. variables[device.Id]], mode);
            }
        }

        return results;
    }

    /// <summary>Devices rendered from one read of their inputs; bounded by SQLite's parameter limit and memory.</summary>
    private const int RenderChunk = 500;

    private sealed record Layer(string Name, int Number, string CompiledJson);

    private RenderedConfig Render(
        Device device,
        string groupName,
        (string? Layer, JsonObject? Config, string? Warning) builtIn,
        List<(ConfigScope Scope, Layer Layer)> layers,
        List<string> sshKeys,
        List<DeviceVariable> variables,
        SecretMode mode)
    {
        var macs = device.Macs.OrderByDescending(m => m.IsPrimary).ThenBy(m => m.Mac, StringComparer.Ordinal).Select(m => m.Mac).ToList();
        var fingerprint = Fingerprint(
            device.State, device.Hostname, device.GroupId, device.MachineId, device.PrimaryMac, device.Architecture,
            device.Macs.Select(m => m.Mac));
        IReadOnlyList<string> warnings = builtIn.Warning is { } warning ? [warning] : [];
        RenderedConfig Result(JsonObject? ignition, IReadOnlyDictionary<string, string> origins, IReadOnlyList<string> names, string? error) =>
            new(device.Id, device.Hostname, device.State, macs, device.MachineId, ignition, origins, names, error)
            {
                Fingerprint = fingerprint, Warnings = warnings,
            };

        // A signed secrets URL of a device not yet approved carries the agent's enrolment token (what approves it),
        // never the secret variables: those go to approved devices only.
        if (mode == SecretMode.Reveal && device.State != EnrollmentState.Approved)
        {
            mode = SecretMode.Omit;
        }

        var ordered = layers.OrderBy(l => l.Scope).Select(l => (Layer: $"{Describe(l.Scope, groupName, device.Hostname)}: {l.Layer.Name} v{l.Layer.Number}", Config: JsonSerializer.Deserialize<JsonObject>(l.Layer.CompiledJson)!)).ToList();
        if (builtIn is { Layer: { } builtInName, Config: { } builtInConfig })
        {
            ordered.Insert(0, (builtInName, builtInConfig));
        }

        var (merged, origins) = ordered.Count > 0 ? toolchain.MergeLayers(ordered) : (new JsonObject { ["ignition"] = new JsonObject { ["version"] = "3.3.0" } }, new Dictionary<string, string>());
        var origin = new Dictionary<string, string>(origins, StringComparer.Ordinal);
        if (sshKeys.Count > 0)
        {
            AddSshKeys(merged, sshKeys);
            origin.TryAdd($"passwd.users[{CoreUser}]", "SSH keys (users and group " + groupName + ")");
        }

        if (publicUrl.Get().Scheme == Uri.UriSchemeHttps)
        {
            // What this config fetches from the portal (merge/replace configs, the agent build) is over HTTPS.
            var key = Certificates.IgnitionTrust.Add(merged, authority.ChainPem);
            origin.TryAdd(key, Certificates.IgnitionTrust.Origin);
        }

        var values = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (var v in variables)
        {
            try
            {
                values[v.Name] = (v.IsSecret ? (mode == SecretMode.Reveal ? secrets.Unprotect(v.Value) : string.Empty) : v.Value, v.IsSecret);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                logger.LogError(ex, "Secret variable {Name} of device {DeviceId:N} cannot be decrypted (Data Protection keys lost?)", v.Name, device.Id);
                return Result(null, origin, [.. ordered.Select(o => o.Layer)], $"The secret variable '{v.Name}' cannot be decrypted; set it again.");
            }
        }

        var context = new TemplateContext(device.Id, device.Hostname, device.PrimaryMac, macs, device.MachineId, groupName, values);
        var missing = Templating.Expand(merged, context, mode);
        if (missing.Count > 0)
        {
            var distinct = missing.Distinct(StringComparer.Ordinal).ToList();
            var names = string.Join(", ", distinct.Select(m => "{{" + m + "}}"));
            return Result(null, origin, [.. ordered.Select(o => o.Layer)],
                $"The config uses {names}, which device {device.Hostname} does not define: add the device variable(s).")
                with { Missing = distinct };
        }

        if (mode == SecretMode.Omit)
        {
            RemovePasswordHashes(merged, variables.Any(v => v.IsSecret));
        }

        return Result(merged, origin, [.. ordered.Select(o => o.Layer)], null);
    }

    private static string Describe(ConfigScope scope, string group, string host) => scope switch
    {
        ConfigScope.Fleet => "fleet default",
        ConfigScope.Group => $"group {group}",
        _ => $"device {host}",
    };

    private static void AddSshKeys(JsonObject config, IReadOnlyList<string> keys)
    {
        var passwd = config["passwd"] as JsonObject ?? [];
        config["passwd"] = passwd;
        var users = passwd["users"] as JsonArray ?? [];
        passwd["users"] = users;
        var core = users.OfType<JsonObject>().FirstOrDefault(u => u["name"]?.GetValue<string>() == CoreUser);
        if (core is null)
        {
            core = new JsonObject { ["name"] = CoreUser };
            users.Add(core);
        }

        var list = core["sshAuthorizedKeys"] as JsonArray ?? [];
        core["sshAuthorizedKeys"] = list;
        foreach (var key in keys.Where(k => !list.Any(e => e?.GetValue<string>() == k)))
        {
            list.Add(key);
        }
    }

    /// <summary>A device that may not have secrets gets no password hashes at all (they come from secret variables, now empty).</summary>
    private static void RemovePasswordHashes(JsonObject config, bool anySecret)
    {
        if (!anySecret || config["passwd"]?["users"] is not JsonArray users)
        {
            return;
        }

        foreach (var user in users.OfType<JsonObject>())
        {
            if (user["passwordHash"] is JsonValue v && v.TryGetValue<string>(out var hash) && hash.Length == 0)
            {
                user.Remove("passwordHash");
            }
        }
    }
}
