namespace Fleet.Shared.Messages;

/// <summary>
/// The kinds of command an agent runs, as they travel on <see cref="Topics.Commands"/>. The kind is a string on the
/// wire, not an enum, so an agent that does not know a newer kind can refuse it by name instead of failing to read
/// the message.
/// </summary>
public static class CommandKinds
{
    /// <summary>Answers at once: the round trip portal → device → portal.</summary>
    public const string Ping = "ping";

    /// <summary><c>systemctl reboot</c>.</summary>
    public const string Reboot = "reboot";

    /// <summary><c>systemctl poweroff</c>.</summary>
    public const string PowerOff = "power-off";

    /// <summary>Back to the previous OS deployment, through the update side (<c>rpm-ostree rollback</c> and a
    /// coordinated reboot).</summary>
    public const string Rollback = "rollback";

    /// <summary>Check for an OS update now, through the update side (Zincati or rpm-ostree, as it decides).</summary>
    public const string UpdateNow = "update-now";

    /// <summary><c>systemctl restart {unit}</c>.</summary>
    public const string RestartUnit = "restart-unit";

    /// <summary><c>systemctl stop {unit}</c>.</summary>
    public const string StopUnit = "stop-unit";

    /// <summary><c>systemctl start {unit}</c>.</summary>
    public const string StartUnit = "start-unit";

    /// <summary><c>journalctl</c> for a unit, since a time, up to a priority, at most N lines; uploaded gzip in
    /// <see cref="CommandUpload"/> parts.</summary>
    public const string Journal = "journal";

    /// <summary>A diagnostic script an Admin defined in the portal, checked against its SHA-256 and run by
    /// <c>/bin/sh</c> within the command's time limit.</summary>
    public const string Diagnostic = "diagnostic";

    /// <summary>Send a Wake-on-LAN magic packet for another device's MAC from this device's network.</summary>
    public const string WakeOnLan = "wake-on-lan";

    /// <summary>Every kind this version knows, in the order the portal offers them.</summary>
    public static readonly IReadOnlyList<string> All =
        [Ping, Reboot, PowerOff, Rollback, UpdateNow, RestartUnit, StopUnit, StartUnit, Journal, Diagnostic, WakeOnLan];
}

/// <summary>The names of command arguments (<see cref="CommandRequest.Arguments"/>).</summary>
public static class CommandArguments
{
    /// <summary>A systemd unit name (unit commands; the journal's unit, optional).</summary>
    public const string Unit = "unit";

    /// <summary>The journal's <c>--since</c>, e.g. <c>-1h</c> or <c>2026-12-07 10:00</c> (optional).</summary>
    public const string Since = "since";

    /// <summary>The journal's <c>--priority</c>, 0–7 or a name such as <c>warning</c> (optional).</summary>
    public const string Priority = "priority";

    /// <summary>The journal's <c>--lines</c>, at most <see cref="Protocol.MaxJournalLines"/>.</summary>
    public const string Lines = "lines";

    /// <summary>A diagnostic's name.</summary>
    public const string Name = "name";

    /// <summary>A diagnostic's script.</summary>
    public const string Script = "script";

    /// <summary>SHA-256 of the script as lower-case hex: the agent refuses a script that does not match.</summary>
    public const string Sha256 = "sha256";

    /// <summary>The MAC address to wake (<c>aa:bb:cc:dd:ee:ff</c>).</summary>
    public const string Mac = "mac";

    /// <summary>Where the magic packet goes: the sleeping device's subnet broadcast address.</summary>
    public const string Address = "address";

    /// <summary>The UDP port of the magic packet (9 unless given).</summary>
    public const string Port = "port";
}

/// <summary>Where a command stands. The agent reports every state from <see cref="Delivered"/> on.</summary>
public enum CommandState
{
    /// <summary>Held by its bulk run until the run releases it (portal only).</summary>
    Held,

    /// <summary>Waiting in the portal for the device; sent each time it comes online.</summary>
    Queued,

    /// <summary>The device has it.</summary>
    Delivered,

    /// <summary>The device is running it.</summary>
    Running,

    /// <summary>It finished with success (exit code 0).</summary>
    Succeeded,

    /// <summary>It failed, or the device refused it (unknown kind, bad arguments), with the reason.</summary>
    Failed,

    /// <summary>Its time to live passed before the device ran it.</summary>
    Expired,

    /// <summary>A person cancelled it before the device had it.</summary>
    Cancelled,
}

/// <summary>What a state means for the command's life.</summary>
public static class CommandStates
{
    /// <summary>Succeeded, failed, expired or cancelled: nothing changes it any more.</summary>
    public static bool IsFinal(CommandState state) =>
        state is CommandState.Succeeded or CommandState.Failed or CommandState.Expired or CommandState.Cancelled;

    /// <summary>Queued or held: the device does not have it, so it can still be cancelled.</summary>
    public static bool IsWaiting(CommandState state) => state is CommandState.Held or CommandState.Queued;

    /// <summary>How far along a state is; a report never moves a command to an earlier rank.</summary>
    public static int Rank(CommandState state) => state switch
    {
        CommandState.Held => 0,
        CommandState.Queued => 1,
        CommandState.Delivered => 2,
        CommandState.Running => 3,
        _ => 4,
    };
}

/// <summary>
/// Portal → agent on <see cref="Topics.Commands"/>. The agent runs each id once: a command sent again (after the
/// portal restarted, or before the device's acknowledgement arrived) is answered with its recorded state and not run
/// again.
/// </summary>
/// <param name="Id">The command's id, 1–<see cref="Protocol.MaxCommandIdLength"/> characters.</param>
/// <param name="Kind">One of <see cref="CommandKinds"/>; an unknown kind is refused with a reason.</param>
/// <param name="ExpiresAt">After this the device does not start it and reports <see cref="CommandState.Expired"/>.
/// </param>
/// <param name="Arguments">The kind's arguments (<see cref="CommandArguments"/>).</param>
/// <param name="TimeoutSeconds">How long it may run before the agent kills it, 1–
/// <see cref="Protocol.MaxCommandTimeoutSeconds"/>.</param>
public sealed record CommandRequest(
    string Id,
    string Kind,
    DateTimeOffset ExpiresAt,
    IReadOnlyDictionary<string, string>? Arguments = null,
    int TimeoutSeconds = 300);

/// <summary>Agent → portal on <see cref="Topics.CommandResult"/>: a command's new state.</summary>
/// <param name="Id">The command's id.</param>
/// <param name="State">Delivered, Running, Succeeded, Failed or Expired.</param>
/// <param name="At">When it got there (device clock).</param>
/// <param name="ExitCode">The process's exit code, when one ran.</param>
/// <param name="Output">The tail of its standard output, at most <see cref="Protocol.MaxCommandOutputLength"/>
/// characters.</param>
/// <param name="Error">The tail of its standard error, as long at most.</param>
/// <param name="Detail">Why, for a person: a refusal's reason, a timeout, what was done.</param>
/// <param name="UploadParts">How many <see cref="CommandUpload"/> parts its file has (0: none).</param>
public sealed record CommandResult(
    string Id,
    CommandState State,
    DateTimeOffset At,
    int? ExitCode = null,
    string? Output = null,
    string? Error = null,
    string? Detail = null,
    int UploadParts = 0);

/// <summary>
/// Agent → portal on <see cref="Topics.CommandUpload"/>: one part of a command's file (gzip, cut into parts of at
/// most <see cref="Protocol.MaxUploadPartBytes"/>), sent before the result that counts them.
/// </summary>
/// <param name="Id">The command's id.</param>
/// <param name="Part">0-based part number.</param>
/// <param name="Parts">How many parts there are, at most <see cref="Protocol.MaxUploadParts"/>.</param>
/// <param name="Data">The part's bytes, base64.</param>
public sealed record CommandUpload(string Id, int Part, int Parts, string Data);
