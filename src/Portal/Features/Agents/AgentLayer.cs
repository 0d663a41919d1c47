using System.Text;
using System.Text.Json.Nodes;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// The built-in first layer of every rendered Ignition config (<see cref="AgentDeliveryOptions.IgnitionLayer"/>): it
/// writes
/// the agent build for the device's architecture to <c>/usr/local/bin/fleet-agent</c> (fetched from
/// <c>/agent/{version}/{architecture}</c>, verified by SHA-512, mode 0755), the agent's systemd units (the files of
/// src/DeviceAgent, embedded; <c>fleet-agent.service</c> enabled), <c>/etc/fleet-agent/ca.pem</c> (the portal CA
/// chain, 0644) and <c>/etc/fleet-agent/agent.env</c> (mode 0600: the broker address, its TLS port, the CA file and,
/// when the device's group has a token marked for Ignition, the enrolment token, only in renders that may carry
/// secrets). The version is <see cref="AgentRollout.InstallFor"/> of the group's or fleet's
/// target, else the newest build. Later layers override its entries as any layer's.
/// </summary>
public sealed class AgentLayer
{
    /// <summary>Name of the layer in a render's layers and origins.</summary>
    public const string Name = "built-in: Fleet agent";

    /// <summary>Where the layer puts the agent binary.</summary>
    public const string BinaryPath = "/usr/local/bin/fleet-agent";

    /// <summary>Where the layer puts the agent's settings.</summary>
    public const string EnvironmentPath = "/etc/fleet-agent/agent.env";

    /// <summary>Where the layer puts the portal CA chain the agent trusts (public: mode 0644).</summary>
    public const string CaCertificatePath = "/etc/fleet-agent/ca.pem";

    /// <summary>Architecture of a device whose record names none (a machine known only by its MAC).</summary>
    public const string DefaultArchitecture = "x86_64";

    private const string UnitPrefix = "Fleet.Portal.Agents.";

    private static readonly Lazy<IReadOnlyList<(string Name, string Text)>> EmbeddedUnits = new(ReadUnits);

    private readonly IOptions<AgentDeliveryOptions> _options;
    private readonly PortalPublicUrl _urls;
    private readonly Func<int> _brokerPort;
    private readonly ConfigSecrets _secrets;
    private readonly PortalCertificateAuthority _authority;

    internal AgentLayer(IOptions<AgentDeliveryOptions> options, PortalPublicUrl urls, Func<int> brokerPort,
        ConfigSecrets secrets, PortalCertificateAuthority authority)
    {
        _options = options;
        _urls = urls;
        _brokerPort = brokerPort;
        _secrets = secrets;
        _authority = authority;
    }

    /// <summary>The systemd units the layer writes, as embedded from src/DeviceAgent: name and text.</summary>
    public static IReadOnlyList<(string Name, string Text)> Units => EmbeddedUnits.Value;

    /// <summary>What the layer reads for a set of renders: builds, targets and the groups' Ignition tokens.</summary>
    public sealed record Inputs(
        IReadOnlyList<AgentBuild> Builds,
        IReadOnlyList<AgentTarget> Targets,
        IReadOnlyDictionary<int, string> ProtectedTokens);

    /// <summary>Reads the inputs for devices of <paramref name="groupIds"/>; null when the layer is off.</summary>
    public async Task<Inputs?> ReadAsync(
        FleetDbContext db, IReadOnlyCollection<int> groupIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!_options.Value.IgnitionLayer)
        {
            return null;
        }

        var builds = await db.AgentBuilds.AsNoTracking().ToListAsync(cancellationToken);
        var targets = await db.AgentTargets.AsNoTracking().ToListAsync(cancellationToken);
        var tokens = (await db.EnrollmentTokens.AsNoTracking()
                .Where(t => t.ProtectedValue != null && t.RevokedAt == null && t.ExpiresAt > now)
                .ToListAsync(cancellationToken))
            .Where(t => t.Unusable(now) is null && groupIds.Contains(t.GroupId ?? DeviceGroup.DefaultId))
            .GroupBy(t => t.GroupId ?? DeviceGroup.DefaultId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.CreatedAt).First().ProtectedValue!);
        return new Inputs(builds, targets, tokens);
    }

    /// <summary>
    /// The layer for one device, or why it has none. The enrolment token is written with
    /// <paramref name="token"/> <see cref="SecretMode.Reveal"/>, masked with <see cref="SecretMode.Mask"/>, and left
    /// out otherwise.
    /// </summary>
    public (string? Layer, JsonObject? Config, string? Warning) For(
        Device device, int groupId, Inputs inputs, SecretMode token)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(inputs);
        var architecture = string.IsNullOrEmpty(device.Architecture) ? DefaultArchitecture : device.Architecture;
        var forArchitecture = inputs.Builds.Where(b => b.Architecture == architecture).ToList();
        var target = AgentRollout.TargetFor(groupId, inputs.Targets);
        var version = AgentRollout.InstallFor(device.Id, target);
        var build = version is null
            ? forArchitecture.OrderByDescending(b => b, AgentCatalog.Newest).FirstOrDefault()
            : forArchitecture.FirstOrDefault(b => b.Version == version);
        if (build is null)
        {
            return (null, null, version is null
                ? $"No agent is installed: the portal holds no agent build for {architecture} "
                    + $"(build one: {AgentCatalog.BuildCommand}, or upload it on the Agent page)."
                : $"No agent is installed: the agent version this device should run, {version}, has no build for "
                    + $"{architecture} in the portal (upload it on the Agent page).");
        }

        var source = new Uri(_urls.Get(), $"agent/{Uri.EscapeDataString(build.Version)}/{build.Architecture}");
        var files = new JsonArray
        {
            new JsonObject
            {
                ["path"] = BinaryPath,
                ["mode"] = 493,
                ["overwrite"] = true,
                ["contents"] = new JsonObject
                {
                    ["source"] = source.ToString(),
                    ["verification"] = new JsonObject { ["hash"] = "sha512-" + build.Sha512 },
                },
            },
            new JsonObject
            {
                ["path"] = EnvironmentPath,
                ["mode"] = 384,
                ["overwrite"] = true,
                ["contents"] = new JsonObject
                {
                    ["source"] = "data:," + Uri.EscapeDataString(Environment(groupId, inputs, token, out var lost)),
                },
            },
            new JsonObject
            {
                ["path"] = CaCertificatePath,
                ["mode"] = 420,
                ["overwrite"] = true,
                ["contents"] = new JsonObject { ["source"] = IgnitionTrust.DataUrl(_authority.ChainPem) },
            },
        };
        var units = new JsonArray();
        foreach (var (name, text) in Units)
        {
            var unit = new JsonObject { ["name"] = name, ["contents"] = text };
            if (name == "fleet-agent.service")
            {
                unit["enabled"] = true;
            }

            units.Add(unit);
        }

        var config = new JsonObject
        {
            ["ignition"] = new JsonObject { ["version"] = "3.3.0" },
            ["storage"] = new JsonObject { ["files"] = files },
            ["systemd"] = new JsonObject { ["units"] = units },
        };
        return ($"{Name} {build.Version} ({build.Architecture})", config, lost
            ? "The group's Ignition enrolment token cannot be decrypted (Data Protection keys lost?): agent.env has "
                + "no token; create a new token for Ignition."
            : null);
    }

    /// <summary>
    /// The layer as a new machine of <paramref name="groupId"/> (default: the default group) and
    /// <paramref name="architecture"/> would get it, enrolment token masked: the config editor's preview.
    /// </summary>
    public async Task<(string? Layer, JsonObject? Config, string? Warning)> PreviewAsync(
        FleetDbContext db, string architecture, int groupId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await ReadAsync(db, [groupId], now, cancellationToken) is not { } inputs)
        {
            return (null, null, "The built-in agent layer is off (Fleet:Agents:IgnitionLayer).");
        }

        var machine = new Device
        {
            Id = Guid.Empty, EnrollmentId = string.Empty, MachineId = string.Empty, Hostname = string.Empty,
            Architecture = architecture, Kernel = string.Empty, OsName = string.Empty, OsReleaseJson = "{}",
            PrimaryMac = string.Empty, AgentVersion = string.Empty, GroupId = groupId,
        };
        return For(machine, groupId, inputs, SecretMode.Mask);
    }

    private string Environment(int groupId, Inputs inputs, SecretMode token, out bool lost)
    {
        lost = false;
        var options = _options.Value;
        var host = string.IsNullOrWhiteSpace(options.BrokerHost) ? _urls.Get().Host : options.BrokerHost.Trim();
        var port = options.BrokerPort ?? _brokerPort();
        var text = new StringBuilder()
            .Append("Agent__BrokerHost=").Append(host).Append('\n')
            .Append("Agent__BrokerPort=").Append(port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append('\n')
            .Append("Agent__CaCertificateFile=").Append(CaCertificatePath).Append('\n');
        if (inputs.ProtectedTokens.TryGetValue(groupId, out var cipher) && token != SecretMode.Omit)
        {
            try
            {
                var value = token == SecretMode.Reveal ? _secrets.Unprotect(cipher) : Templating.Mask;
                text.Append("Agent__EnrollmentToken=").Append(value).Append('\n');
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                lost = true;
            }
        }

        return text.ToString();
    }

    private static IReadOnlyList<(string Name, string Text)> ReadUnits()
    {
        var assembly = typeof(AgentLayer).Assembly;
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(UnitPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (n[UnitPrefix.Length..], reader.ReadToEnd());
            })];
    }
}
