using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Terminal;

/// <summary>
/// Browser-terminal sessions: an Admin opens one on an online device of a group that has the terminal turned on; its
/// keystrokes go to the device's agent, which runs the shell; it ends when closed, at its time or idle limit, when the
/// device does not start it, or when the device ends it. Opening, refusals and each end are audited (who, device, how
/// long, how it ended, characters typed and shown).
/// </summary>
public sealed class TerminalService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    IDevicePublisher publisher,
    TerminalHub hub,
    IOptions<TerminalOptions> options,
    TimeProvider time,
    ILogger<TerminalService> logger)
{
    /// <summary>Most characters one paste may send (split into messages of the protocol's size).</summary>
    public const int MaxPasteLength = 16 * Protocol.MaxTerminalDataLength;

    private static readonly TimeSpan WatchPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Opens a session: the device starts a shell of <paramref name="columns"/> × <paramref name="rows"/>.
    /// </summary>
    [RequiresPolicy(Policies.RunPrivilegedCommands)]
    public async Task<Outcome<TerminalSession>> OpenAsync(
        Guid deviceId, int columns, int rows, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = deviceId.ToString("N");
        if (!await authorizer.AllowedAsync(
            actor, Policies.RunPrivilegedCommands, "terminal.open", "device", key, cancellationToken))
        {
            return Outcome.Forbidden("Only an Admin may open a terminal on a device.").As<TerminalSession>();
        }

        if (columns is < Protocol.MinTerminalColumns or > Protocol.MaxTerminalColumns
            || rows is < Protocol.MinTerminalRows or > Protocol.MaxTerminalRows)
        {
            return Outcome.Invalid("size", "The terminal is too small or too large.").As<TerminalSession>();
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Id == deviceId)
            .Select(d => new { d.Hostname, d.State, d.IsOnline, GroupId = d.GroupId ?? DeviceGroup.DefaultId })
            .SingleOrDefaultAsync(cancellationToken);
        if (device is null)
        {
            return Outcome.NotFound("There is no such device.").As<TerminalSession>();
        }

        var group = await db.DeviceGroups.AsNoTracking().Where(g => g.Id == device.GroupId)
            .Select(g => new { g.Name, g.TerminalEnabled }).SingleAsync(cancellationToken);
        if (!group.TerminalEnabled)
        {
            await audit.RecordAsync(actor, "terminal.open", "device", key, AuditOutcome.Denied,
                $"{device.Hostname}: the terminal is off for group {group.Name}", cancellationToken);
            return Outcome.Forbidden($"The terminal is off for group {group.Name}; an Admin turns it on on the "
                + "Update groups page.").As<TerminalSession>();
        }

        var refusal = device.State != EnrollmentState.Approved ? "The device is not approved."
            : !device.IsOnline ? "The device is offline."
            : hub.Count >= options.Value.MaxSessions ? $"{options.Value.MaxSessions} terminals are open already."
            : null;
        if (refusal is not null)
        {
            return Outcome.Conflict(refusal).As<TerminalSession>();
        }

        var limits = options.Value;
        var session = new TerminalSession(
            deviceId, device.Hostname, actor, time.GetUtcNow(), TimeSpan.FromSeconds(limits.MaxSessionSeconds));
        audit.Add(db, actor, "terminal.open", "device", key, after: string.Create(CultureInfo.InvariantCulture,
            $"{device.Hostname}: session {session.Id}, {columns}x{rows}, at most {limits.MaxSessionSeconds} s"));
        await db.SaveChangesAsync(cancellationToken);

        session.DeviceClosed = reason => EndAsync(session, reason, tellDevice: false);
        hub.Add(session);
        session.Watch = time.CreateTimer(_ => Check(session), null, WatchPeriod, WatchPeriod);
        await SendAsync(session, new TerminalInput(TerminalInputKind.Open, Columns: columns, Rows: rows,
            TimeLimitSeconds: limits.MaxSessionSeconds, IdleLimitSeconds: limits.IdleSeconds), cancellationToken);
        logger.LogInformation("Terminal session {Session} on {Hostname} opened by {Actor}",
            session.Id, device.Hostname, actor.Name);
        return Outcome.Of(session);
    }

    /// <summary>Sends keystrokes (a paste over <see cref="MaxPasteLength"/> is refused).</summary>
    public async Task<Outcome> TypeAsync(
        TerminalSession session, string keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(keys);
        if (session.EndReason is not null)
        {
            return Outcome.Conflict("The session has ended.");
        }

        if (keys.Length > MaxPasteLength)
        {
            return Outcome.Invalid("keys", $"At most {MaxPasteLength:N0} characters can be pasted at once.");
        }

        session.Typed(keys, time.GetUtcNow());
        for (var at = 0; at < keys.Length; at += Protocol.MaxTerminalDataLength)
        {
            var part = keys.Substring(at, Math.Min(Protocol.MaxTerminalDataLength, keys.Length - at));
            await SendAsync(session, new TerminalInput(TerminalInputKind.Data, part), cancellationToken);
        }

        return Outcome.Done;
    }

    /// <summary>Ends the session (the shell is killed on the device) and audits how it ended.</summary>
    public Task CloseAsync(TerminalSession session, string reason) => EndAsync(session, reason, tellDevice: true);

    /// <summary>Whether the group of a device has the terminal turned on (false for an unknown device).</summary>
    public async Task<bool> EnabledForDeviceAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groupId = await db.Devices.AsNoTracking().Where(d => d.Id == deviceId)
            .Select(d => (int?)(d.GroupId ?? DeviceGroup.DefaultId)).SingleOrDefaultAsync(cancellationToken);
        return groupId is not null
            && await db.DeviceGroups.AnyAsync(g => g.Id == groupId && g.TerminalEnabled, cancellationToken);
    }

    /// <summary>Whether a group has the terminal turned on.</summary>
    public async Task<bool> EnabledForGroupAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.DeviceGroups.AnyAsync(g => g.Id == groupId && g.TerminalEnabled, cancellationToken);
    }

    /// <summary>Turns the terminal on or off for a group's devices (off ends no open session).</summary>
    [RequiresPolicy(Policies.RunPrivilegedCommands)]
    public async Task<Outcome> SetGroupTerminalAsync(
        int groupId, bool enabled, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = groupId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(
            actor, Policies.RunPrivilegedCommands, "group.terminal", "group", key, cancellationToken))
        {
            return Outcome.Forbidden("Only an Admin may turn the terminal on or off.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.DeviceGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is not { } group)
        {
            return Outcome.NotFound("There is no such group.");
        }

        if (group.TerminalEnabled != enabled)
        {
            audit.Add(db, actor, "group.terminal", "group", key,
                $"{group.Name}: terminal {OnOff(group.TerminalEnabled)}", $"{group.Name}: terminal {OnOff(enabled)}");
            group.TerminalEnabled = enabled;
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Terminal turned {State} for group {Group} by {Actor}", OnOff(enabled), group.Name,
                actor.Name);
        }

        return Outcome.Done;
    }

    private static string OnOff(bool on) => on ? "on" : "off";

    private void Check(TerminalSession session)
    {
        var now = time.GetUtcNow();
        var limits = options.Value;
        var reason = now >= session.Deadline ? "time limit"
            : now >= session.LastInput + TimeSpan.FromSeconds(limits.IdleSeconds) ? "idle"
            : !session.Started && now >= session.OpenedAt + TimeSpan.FromSeconds(limits.OpenTimeoutSeconds)
                ? "the device did not start the shell"
            : null;
        if (reason is not null)
        {
            _ = EndAsync(session, reason, tellDevice: true);
        }
    }

    private async Task EndAsync(TerminalSession session, string reason, bool tellDevice)
    {
        if (!session.TryEnd(reason))
        {
            return;
        }

        hub.Remove(session);
        var lasted = time.GetUtcNow() - session.OpenedAt;
        try
        {
            if (tellDevice)
            {
                await SendAsync(session, new TerminalInput(TerminalInputKind.Close), CancellationToken.None);
            }

            await using var db = await dbFactory.CreateDbContextAsync();
            audit.Add(db, session.Actor, "terminal.end", "device", session.DeviceKey, detail: string.Create(
                CultureInfo.InvariantCulture,
                $"{session.Hostname}: session {session.Id} opened {session.OpenedAt:u}, ended after "
                + $"{(int)lasted.TotalSeconds} s: {reason}; {session.CharactersIn} characters typed, "
                + $"{session.CharactersOut} shown"));
            await db.SaveChangesAsync();
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or IOException)
        {
            logger.LogWarning("Terminal session {Session} ended ({Reason}) but was not fully recorded: {Error}",
                session.Id, reason, ex.Message);
        }

        logger.LogInformation("Terminal session {Session} on {Hostname} ended after {Seconds} s: {Reason}",
            session.Id, session.Hostname, (int)lasted.TotalSeconds, reason);
        session.RaiseEnded();
    }

    private Task SendAsync(TerminalSession session, TerminalInput input, CancellationToken cancellationToken) =>
        publisher.PublishAsync(Topics.TerminalInput(session.DeviceKey, session.Id),
            JsonSerializer.SerializeToUtf8Bytes(input, FleetJson.Default.TerminalInput), cancellationToken);
}
