using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Security;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Power;

/// <summary>A wake-on-lan command queued for a sleeping device.</summary>
/// <param name="CommandId">The command, queued to the relay.</param>
/// <param name="RelayId">The online device that sends the magic packet.</param>
/// <param name="RelayHostname">Its hostname.</param>
/// <param name="Mac">The MAC the packet wakes.</param>
/// <param name="Address">Where it goes: the segment's broadcast address.</param>
/// <param name="Port">The UDP port.</param>
public sealed record WakeResult(
    Guid CommandId, Guid RelayId, string RelayHostname, string Mac, string Address, int Port);

/// <summary>
/// Wakes an offline device: picks an online approved device on the same segment (<see cref="WakeRelays"/>, from the
/// interfaces both last reported) and queues a <see cref="CommandKinds.WakeOnLan"/> command to it through
/// <see cref="CommandService"/>, which checks the relay's group policy and audits the command. The wake itself is
/// audited on the sleeping device.
/// </summary>
public sealed class WakeService(
    IDbContextFactory<FleetDbContext> dbFactory,
    CommandService commands,
    ActorAuthorizer authorizer,
    AuditLog audit,
    IOptions<PowerOptions> options,
    ILogger<WakeService> logger)
{
    public const string Action = "device.wake";

    [RequiresPolicy(Policies.RunCommands)]
    public async Task<Outcome<WakeResult>> WakeAsync(
        Guid deviceId, Actor actor, string? reason = null, CancellationToken cancellationToken = default)
    {
        var id = deviceId.ToString("N");
        if (!await authorizer.AllowedAsync(actor, Policies.RunCommands, Action, "device", id, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not wake devices.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null || device.State != EnrollmentState.Approved)
        {
            return Outcome.NotFound($"There is no approved device {id}.");
        }

        if (device.IsOnline)
        {
            return Outcome.Conflict($"{device.Hostname} is online: it needs no waking.");
        }

        var sleeper = await NetworkOfAsync(db, device, cancellationToken);
        if (sleeper is null || WakeRelays.Describe(sleeper).Count == 0)
        {
            return Outcome.Conflict($"{device.Hostname} has reported no IPv4 address, so no device on its segment "
                + "is known: it cannot be woken until it has sent a health report with its interfaces.");
        }

        var route = await ChooseRelayAsync(db, sleeper, cancellationToken);
        if (route is null)
        {
            return Outcome.Conflict($"No online approved device is on the segment of {device.Hostname} "
                + $"({string.Join(", ", WakeRelays.Describe(sleeper))}) to send the magic packet.");
        }

        var port = options.Value.WakeOnLanPort;
        var arguments = new Dictionary<string, string>
        {
            [CommandArguments.Mac] = route.Mac,
            [CommandArguments.Address] = route.Broadcast.ToString(),
            [CommandArguments.Port] = port.ToString(CultureInfo.InvariantCulture),
        };
        var why = string.IsNullOrWhiteSpace(reason) ? $"Wake {device.Hostname}" : $"Wake {device.Hostname}: {reason}";
        var order = new CommandOrder(CommandKinds.WakeOnLan, arguments, Truncate(why));
        var queued = await commands.QueueAsync([route.RelayId], order, actor, cancellationToken: cancellationToken);
        if (!queued.Succeeded)
        {
            return queued.Result;
        }

        var result = new WakeResult(queued.Value![0], route.RelayId, route.RelayHostname, route.Mac,
            route.Broadcast.ToString(), port);
        var detail = $"magic packet for {route.Mac} from {route.RelayHostname} to {result.Address}:{port} "
            + $"(segment {route.Segment}), command {result.CommandId:N}";
        await audit.RecordAsync(actor, Action, "device", id, AuditOutcome.Succeeded, detail, cancellationToken);
        logger.LogInformation("{Actor} woke {Hostname}: {Detail}", actor.Name, device.Hostname, detail);
        return result;
    }

    /// <summary>
    /// The first relay on the sleeper's segment among online approved devices with a health report, freshest report
    /// first, read a page at a time so a large fleet is not loaded whole when a relay is found early.
    /// </summary>
    private static async Task<WakeRoute?> ChooseRelayAsync(
        FleetDbContext db, DeviceNetwork sleeper, CancellationToken cancellationToken)
    {
        const int PageSize = 500;
        for (var skip = 0; ; skip += PageSize)
        {
            var page = await db.Devices.AsNoTracking()
                .Where(d => d.State == EnrollmentState.Approved && d.IsOnline && d.Id != sleeper.DeviceId)
                .Join(db.DeviceHealth.AsNoTracking(), d => d.Id, h => h.DeviceId, (d, h) => new
                {
                    d.Id, d.Hostname, d.PrimaryMac, h.ReceivedAt, h.ReportJson,
                })
                .OrderByDescending(x => x.ReceivedAt).ThenBy(x => x.Id)
                .Skip(skip).Take(PageSize)
                .ToListAsync(cancellationToken);
            var route = WakeRelays.Choose(
                sleeper, page.Select(x => Network(x.Id, x.Hostname, x.PrimaryMac, x.ReportJson)));
            if (route is not null || page.Count < PageSize)
            {
                return route;
            }
        }
    }

    private static async Task<DeviceNetwork?> NetworkOfAsync(
        FleetDbContext db, Device device, CancellationToken cancellationToken)
    {
        var json = await db.DeviceHealth.AsNoTracking().Where(h => h.DeviceId == device.Id)
            .Select(h => h.ReportJson).SingleOrDefaultAsync(cancellationToken);
        return json is null ? null : Network(device.Id, device.Hostname, device.PrimaryMac, json);
    }

    private static DeviceNetwork Network(Guid id, string hostname, string primaryMac, string json)
    {
        var report = JsonSerializer.Deserialize(json, FleetJson.Default.HealthReport);
        return new DeviceNetwork(id, hostname, primaryMac, report?.Interfaces ?? []);
    }

    private static string Truncate(string text) => text.Length <= CommandOrder.MaxReasonLength
        ? text
        : string.Concat(text.AsSpan(0, CommandOrder.MaxReasonLength - 1), "…");
}
