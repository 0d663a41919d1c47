using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// Commands for devices: queueing an order for one device or many (a bulk run's, held until the run releases them),
/// cancelling what a device does not have yet, and reading where commands stand. The everyday kinds need
/// <see cref="Policies.RunCommands"/>; power off and diagnostics need <see cref="Policies.RunPrivilegedCommands"/>,
/// or <see cref="Policies.RunCommands"/> on devices whose group lets Operators run them
/// (<see cref="DeviceGroup.OperatorsRunPrivilegedCommands"/>). Every change is audited in its own transaction and
/// announced (<see cref="CommandNotifier"/>); the <see cref="CommandDispatcher"/> sends queued commands to online
/// devices.
/// </summary>
public sealed class CommandService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    IAuthorizationService authorization,
    AuditLog audit,
    CommandNotifier notifier,
    CommandDispatcher dispatcher,
    IOptions<CommandOptions> options,
    TimeProvider time,
    ILogger<CommandService> logger)
{
    public const string EntityType = "command";

    /// <summary>The kinds that take a device away or run code on it.</summary>
    public static bool IsPrivileged(string kind) => kind is CommandKinds.PowerOff or CommandKinds.Diagnostic;

    /// <summary>
    /// Queues <paramref name="order"/> for each of <paramref name="deviceIds"/> (approved devices), Held for the
    /// bulk run <paramref name="runId"/> when given (the run audits itself), else Queued and audited per device.
    /// Returns the commands' ids in the order of the devices.
    /// </summary>
    [RequiresPolicy(Policies.RunCommands)]
    public async Task<Outcome<IReadOnlyList<Guid>>> QueueAsync(
        IReadOnlyCollection<Guid> deviceIds,
        CommandOrder order,
        Actor actor,
        Guid? runId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(actor);
        var action = "command.queue";
        var entityId = deviceIds.Count == 1 ? deviceIds.First().ToString("N") : runId?.ToString("N");
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunCommands, action, EntityType, entityId, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not run commands on devices.").As<IReadOnlyList<Guid>>();
        }

        if (string.IsNullOrWhiteSpace(order.Kind))
        {
            return Outcome.Invalid("kind", "Choose a command: " + string.Join(", ", CommandKinds.All) + ".")
                .As<IReadOnlyList<Guid>>();
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (arguments, diagnostic, errors) = await ArgumentsAsync(db, order, cancellationToken);
        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors).As<IReadOnlyList<Guid>>();
        }

        var ids = deviceIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            return Outcome.Invalid("devices", "Choose at least one device.").As<IReadOnlyList<Guid>>();
        }

        var devices = new Dictionary<Guid, (EnrollmentState State, int? GroupId, string Hostname, bool SendNow)>();
        foreach (var chunk in ids.Chunk(500))
        {
            foreach (var d in await db.Devices.AsNoTracking().Where(d => chunk.Contains(d.Id))
                .Select(d => new
                {
                    d.Id, d.State, d.GroupId, d.Hostname,
                    SendNow = d.IsOnline
                        && !db.DeviceCommands.Any(c => c.DeviceId == d.Id && c.State == CommandState.Queued),
                }).ToListAsync(cancellationToken))
            {
                devices[d.Id] = (d.State, d.GroupId, d.Hostname, d.SendNow);
            }
        }

        if (ids.FirstOrDefault(id => !devices.ContainsKey(id)) is var missing && missing != Guid.Empty)
        {
            return Outcome.NotFound($"There is no device {missing:N}.").As<IReadOnlyList<Guid>>();
        }

        if (ids.FirstOrDefault(id => devices[id].State != EnrollmentState.Approved) is var notApproved
            && notApproved != Guid.Empty)
        {
            return Outcome.Conflict($"Device {devices[notApproved].Hostname} is not approved: it takes no commands.")
                .As<IReadOnlyList<Guid>>();
        }

        if (IsPrivileged(order.Kind) && await PrivilegeProblemAsync(
                db, actor, [.. ids.Select(id => devices[id].GroupId ?? DeviceGroup.DefaultId).Distinct()],
                cancellationToken) is { } refusal)
        {
            await audit.RecordAsync(actor, action, EntityType, entityId, AuditOutcome.Denied,
                $"{order.Kind}: {refusal}", cancellationToken);
            return Outcome.Forbidden(refusal).As<IReadOnlyList<Guid>>();
        }

        var now = time.GetUtcNow();
        var ttl = TimeSpan.FromMinutes(order.TimeToLiveMinutes ?? options.Value.DefaultTimeToLiveMinutes);
        var timeout = order.TimeoutSeconds ?? diagnostic?.TimeoutSeconds ?? options.Value.DefaultTimeoutSeconds;
        var json = arguments.Count == 0 ? null : JsonSerializer.Serialize(arguments);
        var state = runId is null ? CommandState.Queued : CommandState.Held;
        var commands = ids.Select(id => new DeviceCommand
        {
            Id = Guid.CreateVersion7(now),
            DeviceId = id,
            Kind = order.Kind,
            ArgumentsJson = json,
            Reason = string.IsNullOrWhiteSpace(order.Reason) ? null : order.Reason.Trim(),
            RequestedBy = actor.Name,
            RequestedAt = now,
            ExpiresAt = now + ttl,
            TimeoutSeconds = timeout,
            State = state,
            RunId = runId,
            DiagnosticId = diagnostic?.Id,

            // Sent straight after the commit below when the device is online and has nothing else waiting.
            SentAt = state == CommandState.Queued && devices[id].SendNow ? now : null,
            Sends = state == CommandState.Queued && devices[id].SendNow ? 1 : 0,
        }).ToList();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        db.DeviceCommands.AddRange(commands);
        if (runId is null)
        {
            foreach (var command in commands)
            {
                var summary = Summary(command, devices[command.DeviceId].Hostname);
                audit.Add(db, actor, action, EntityType, command.Id.ToString("N"), after: summary);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("{Actor} queued {Kind} for {Count} devices{Run}", actor.Name, order.Kind, ids.Count,
            runId is { } r ? $" (run {r:N})" : string.Empty);
        notifier.Notify([.. commands.Select(c => new CommandChange(c.Id, c.DeviceId, c.RunId, c.State))]);
        foreach (var command in commands.Where(c => c.Sends == 1))
        {
            await dispatcher.PublishAsync(command, cancellationToken);
        }

        if (state == CommandState.Queued)
        {
            dispatcher.Send([.. commands.Where(c => c.Sends == 0).Select(c => c.DeviceId)]);
        }

        return Outcome.Of<IReadOnlyList<Guid>>([.. commands.Select(c => c.Id)]);
    }

    /// <summary>Held commands of a bulk run become Queued and are sent; returns how many were released.</summary>
    public async Task<int> ReleaseAsync(IReadOnlyCollection<Guid> commandIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commandIds);
        var released = new List<DeviceCommand>();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var chunk in commandIds.Chunk(500))
        {
            var held = await db.DeviceCommands
                .Where(c => chunk.Contains(c.Id) && c.State == CommandState.Held).ToListAsync(cancellationToken);
            foreach (var command in held)
            {
                command.State = CommandState.Queued;
            }

            released.AddRange(held);
        }

        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify([.. released.Select(c => new CommandChange(c.Id, c.DeviceId, c.RunId, c.State))]);
        dispatcher.Send([.. released.Select(c => c.DeviceId).Distinct()]);
        return released.Count;
    }

    /// <summary>Cancels a command the device does not have yet (held or queued).</summary>
    [RequiresPolicy(Policies.RunCommands)]
    public async Task<Outcome> CancelAsync(Guid commandId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        const string action = "command.cancel";
        var key = commandId.ToString("N");
        if (!await authorizer.AllowedAsync(actor, Policies.RunCommands, action, EntityType, key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not cancel commands.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var command = await db.DeviceCommands.SingleOrDefaultAsync(c => c.Id == commandId, cancellationToken);
        if (command is null)
        {
            return Outcome.NotFound($"There is no command {key}.");
        }

        if (!CommandStates.IsWaiting(command.State))
        {
            return Outcome.Conflict(
                $"The command is {command.State.Label().ToLowerInvariant()}: only a command the device "
                + "does not have yet can be cancelled.");
        }

        var before = command.State.ToString();
        Cancel(command, actor, time.GetUtcNow());
        audit.Add(db, actor, action, EntityType, key, before, command.State.ToString());
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify([new CommandChange(command.Id, command.DeviceId, command.RunId, command.State)]);
        return Outcome.Done;
    }

    /// <summary>
    /// Cancels every held or queued command of a bulk run (the run audits the cancel); returns how many, 0 when the
    /// actor may not cancel commands (the refusal is audited).
    /// </summary>
    [RequiresPolicy(Policies.RunCommands)]
    public async Task<int> CancelWaitingAsync(Guid runId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunCommands, "command.cancel", EntityType, runId.ToString("N"), cancellationToken))
        {
            return 0;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var waiting = await db.DeviceCommands
            .Where(c => c.RunId == runId && (c.State == CommandState.Held || c.State == CommandState.Queued))
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var command in waiting)
        {
            Cancel(command, actor, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify([.. waiting.Select(c => new CommandChange(c.Id, c.DeviceId, c.RunId, c.State))]);
        return waiting.Count;
    }

    /// <summary>Whether the device's group lets Operators run power off and diagnostics.</summary>
    public async Task<bool> GroupAllowsPrivilegedAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groupId = await db.Devices.Where(d => d.Id == deviceId).Select(d => d.GroupId)
            .SingleOrDefaultAsync(cancellationToken) ?? DeviceGroup.DefaultId;
        return await db.DeviceGroups.AnyAsync(
            g => g.Id == groupId && g.OperatorsRunPrivilegedCommands, cancellationToken);
    }

    /// <summary>
    /// Lets Operators run power off and diagnostics on a group's devices, or stops them (Admin; audited as
    /// <c>group.privileged-commands</c>).
    /// </summary>
    [RequiresPolicy(Policies.RunPrivilegedCommands)]
    public async Task<Outcome> SetGroupOperatorsAsync(
        int groupId, bool allowed, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        const string action = "group.privileged-commands";
        var key = groupId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunPrivilegedCommands, action, "group", key, cancellationToken))
        {
            return Outcome.Forbidden("Only an Admin may let Operators power off devices and run diagnostics.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is not { } group)
        {
            return Outcome.NotFound($"There is no group {groupId}.");
        }

        if (group.OperatorsRunPrivilegedCommands != allowed)
        {
            static string Text(string name, bool on) =>
                $"{name}: Operators {(on ? "may" : "may not")} power off and run diagnostics";
            audit.Add(db, actor, action, "group", key, Text(group.Name, !allowed), Text(group.Name, allowed));
            group.OperatorsRunPrivilegedCommands = allowed;
            await db.SaveChangesAsync(cancellationToken);
        }

        return Outcome.Done;
    }

    /// <summary>Whether Operators may run power off and diagnostics on a group's devices.</summary>
    public async Task<bool> OperatorsRunPrivilegedAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.DeviceGroups.AnyAsync(
            g => g.Id == groupId && g.OperatorsRunPrivilegedCommands, cancellationToken);
    }

    /// <summary>A device's commands, newest first.</summary>
    public async Task<IReadOnlyList<CommandView>> ListForDeviceAsync(
        Guid deviceId, int take, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hostname = await db.Devices.Where(d => d.Id == deviceId).Select(d => d.Hostname)
            .SingleOrDefaultAsync(cancellationToken) ?? "?";
        var commands = await db.DeviceCommands.AsNoTracking().Where(c => c.DeviceId == deviceId)
            .OrderByDescending(c => c.RequestedAt).ThenByDescending(c => c.Id).Take(Math.Clamp(take, 1, 1000))
            .ToListAsync(cancellationToken);
        return [.. commands.Select(c => View(c, hostname))];
    }

    /// <summary>One command; null when there is none.</summary>
    public async Task<CommandView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.DeviceCommands.AsNoTracking().Where(c => c.Id == id)
            .Join(db.Devices, c => c.DeviceId, d => d.Id, (c, d) => new { Command = c, d.Hostname })
            .SingleOrDefaultAsync(cancellationToken);
        return row is null ? null : View(row.Command, row.Hostname);
    }

    /// <summary>
    /// The file a command uploaded (a journal), as text with a file name; NotFound when there is none, Conflict
    /// while parts are missing.
    /// </summary>
    public async Task<Outcome<CommandFile>> UploadAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.DeviceCommands.AsNoTracking().Where(c => c.Id == id)
            .Join(db.Devices, c => c.DeviceId, d => d.Id, (c, d) => new { Command = c, d.Hostname })
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null || row.Command.UploadParts == 0)
        {
            return Outcome.NotFound($"Command {id:N} has no file.").As<CommandFile>();
        }

        var parts = await db.DeviceCommandUploads.AsNoTracking().Where(u => u.CommandId == id)
            .OrderBy(u => u.Part).Select(u => u.Data).ToListAsync(cancellationToken);
        if (parts.Count != row.Command.UploadParts)
        {
            return Outcome.Conflict($"{parts.Count} of the file's {row.Command.UploadParts} parts have arrived.")
                .As<CommandFile>();
        }

        using var gzip = new MemoryStream([.. parts.SelectMany(p => p)]);
        try
        {
            await using var unzip = new System.IO.Compression.GZipStream(
                gzip, System.IO.Compression.CompressionMode.Decompress);
            using var text = new MemoryStream();
            await unzip.CopyToAsync(text, cancellationToken);
            var name = string.Create(CultureInfo.InvariantCulture,
                $"{row.Command.Kind}-{row.Hostname}-{row.Command.RequestedAt:yyyyMMdd-HHmmss}.log");
            return Outcome.Of(new CommandFile(name, text.ToArray()));
        }
        catch (InvalidDataException ex)
        {
            logger.LogWarning("The file of command {Id:N} is not gzip: {Message}", id, ex.Message);
            return Outcome.Unprocessable("The device sent a file that is not gzip.").As<CommandFile>();
        }
    }

    /// <summary>Why <paramref name="actor"/> may not run a privileged kind on devices of these groups; null when
    /// they may.</summary>
    private async Task<string?> PrivilegeProblemAsync(
        FleetDbContext db, Actor actor, IReadOnlyList<int> groupIds, CancellationToken cancellationToken)
    {
        if (actor.Source == AuditSource.System
            || (await authorization.AuthorizeAsync(actor.Principal, Policies.RunPrivilegedCommands)).Succeeded)
        {
            return null;
        }

        var closed = await db.DeviceGroups.AsNoTracking()
            .Where(g => groupIds.Contains(g.Id) && !g.OperatorsRunPrivilegedCommands)
            .Select(g => g.Name).OrderBy(n => n).ToListAsync(cancellationToken);
        return closed.Count == 0 ? null
            : $"Power off and diagnostics are for Admins on devices of {string.Join(", ", closed.Take(5))}"
                + (closed.Count > 5 ? $" and {closed.Count - 5} more groups" : string.Empty)
                + ": the group does not let Operators run them.";
    }

    /// <summary>The order's arguments as the device gets them (a diagnostic's script and hash filled in).</summary>
    private async Task<(Dictionary<string, string> Arguments, DiagnosticScript? Diagnostic, List<OutcomeError> Errors)>
        ArgumentsAsync(FleetDbContext db, CommandOrder order, CancellationToken cancellationToken)
    {
        var errors = new List<OutcomeError>();
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in order.Arguments ?? new Dictionary<string, string>())
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                arguments[name] = value.Trim();
            }
        }

        DiagnosticScript? diagnostic = null;
        if (order.Kind == CommandKinds.Diagnostic)
        {
            diagnostic = order.DiagnosticId is { } id
                ? await db.DiagnosticScripts.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken)
                : null;
            if (diagnostic is null)
            {
                errors.Add(OutcomeError.At("diagnosticId", "Choose a diagnostic an Admin defined."));
                return (arguments, null, errors);
            }

            arguments[CommandArguments.Name] = diagnostic.Name;
            arguments[CommandArguments.Script] = diagnostic.Script;
            arguments[CommandArguments.Sha256] = diagnostic.Sha256;
        }

        errors.AddRange(CommandRules.Problems(order.Kind, arguments)
            .Select(p => OutcomeError.At(p.Argument == "kind" ? "kind" : "arguments." + p.Argument, p.Problem)));
        if (order.Reason is { Length: > CommandOrder.MaxReasonLength })
        {
            errors.Add(OutcomeError.At("reason", $"At most {CommandOrder.MaxReasonLength} characters."));
        }

        if (order.TimeToLiveMinutes is { } ttl && (ttl < 1 || ttl > options.Value.MaxTimeToLiveMinutes))
        {
            errors.Add(OutcomeError.At("timeToLiveMinutes",
                $"From 1 to {options.Value.MaxTimeToLiveMinutes} minutes."));
        }

        if (order.TimeoutSeconds is { } timeout && timeout is < 1 or > Protocol.MaxCommandTimeoutSeconds)
        {
            errors.Add(OutcomeError.At("timeoutSeconds", $"From 1 to {Protocol.MaxCommandTimeoutSeconds} seconds."));
        }

        return (arguments, diagnostic, errors);
    }

    private static void Cancel(DeviceCommand command, Actor actor, DateTimeOffset now)
    {
        command.State = CommandState.Cancelled;
        command.FinishedAt = now;
        command.Detail = $"Cancelled by {actor.Name}.";
    }

    /// <summary>How the audit log shows a command.</summary>
    internal static string Summary(DeviceCommand command, string hostname)
    {
        var arguments = Arguments(command)
            .Where(a => a.Key != CommandArguments.Script)
            .Select(a => $"{a.Key}={a.Value}");
        var text = $"{CommandLabels.Label(command.Kind)} on {hostname}";
        var args = string.Join(", ", arguments);
        return text + (args.Length > 0 ? $" ({args})" : string.Empty)
            + (command.Reason is { } reason ? $": {reason}" : string.Empty);
    }

    internal static IReadOnlyDictionary<string, string> Arguments(DeviceCommand command) =>
        command.ArgumentsJson is { } json
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? []
            : new Dictionary<string, string>();

    internal static CommandView View(DeviceCommand c, string hostname) => new(
        c.Id, c.DeviceId, hostname, c.Kind,
        Arguments(c).Where(a => a.Key != CommandArguments.Script).ToDictionary(a => a.Key, a => a.Value),
        c.Reason, c.RequestedBy, c.RequestedAt, c.ExpiresAt, c.State, c.RunId, c.DeliveredAt, c.StartedAt,
        c.FinishedAt, c.ExitCode, c.Output, c.Error, c.Detail, c.UploadParts > 0,
        c is { FinishedAt: { } done, SentAt: { } sent } && CommandStates.IsFinal(c.State) && done >= sent
            ? (done - sent).TotalMilliseconds : null);
}

/// <summary>A file a command uploaded, as it is downloaded.</summary>
public sealed record CommandFile(string FileName, byte[] Content);
