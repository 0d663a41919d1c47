namespace Fleet.Shared.Messages;

/// <summary>What a <see cref="TerminalInput"/> asks of the agent.</summary>
public enum TerminalInputKind
{
    /// <summary>Start a shell for the session (size and limits in the message).</summary>
    Open,

    /// <summary>Keystrokes for the shell's standard input (<see cref="TerminalInput.Data"/>).</summary>
    Data,

    /// <summary>End the session: the shell is killed.</summary>
    Close,
}

/// <summary>
/// Portal → agent on <see cref="Topics.TerminalInput"/>: one step of a browser-terminal session. The session id is
/// the topic's; the agent drops a message it cannot read, or whose data is longer than
/// <see cref="Protocol.MaxTerminalDataLength"/>, with a logged reason.
/// </summary>
/// <param name="Kind">Open, data or close.</param>
/// <param name="Data">The keystrokes (Data); at most <see cref="Protocol.MaxTerminalDataLength"/> characters.</param>
/// <param name="Columns">The terminal's width (Open), <see cref="Protocol.MinTerminalColumns"/> to
/// <see cref="Protocol.MaxTerminalColumns"/>.</param>
/// <param name="Rows">Its height (Open), <see cref="Protocol.MinTerminalRows"/> to
/// <see cref="Protocol.MaxTerminalRows"/>.</param>
/// <param name="TimeLimitSeconds">How long the session may last (Open); the agent also keeps its own cap.</param>
/// <param name="IdleLimitSeconds">How long it may go without input (Open).</param>
public sealed record TerminalInput(
    TerminalInputKind Kind,
    string? Data = null,
    int? Columns = null,
    int? Rows = null,
    int? TimeLimitSeconds = null,
    int? IdleLimitSeconds = null);

/// <summary>What a <see cref="TerminalOutput"/> tells the portal.</summary>
public enum TerminalOutputKind
{
    /// <summary>The shell started.</summary>
    Opened,

    /// <summary>Output of the shell (<see cref="TerminalOutput.Data"/>).</summary>
    Data,

    /// <summary>The session ended; <see cref="TerminalOutput.Reason"/> says how. Nothing follows.</summary>
    Closed,
}

/// <summary>
/// Agent → portal on <see cref="Topics.TerminalOutput"/>: one step of a session, numbered from 1 so that the portal
/// can drop a repeat (a QoS 1 redelivery). Never stored: the portal hands it to the browser that opened the session.
/// </summary>
/// <param name="Kind">Opened, data or closed.</param>
/// <param name="Sequence">Position in the session's output, from 1.</param>
/// <param name="Data">Shell output as text (Data); at most <see cref="Protocol.MaxTerminalDataLength"/> characters.
/// </param>
/// <param name="Reason">Why the session ended (Closed): "closed", "time limit", "idle", "shell exited 0", a refusal.
/// At most <see cref="Protocol.MaxFieldLength"/> characters.</param>
public sealed record TerminalOutput(TerminalOutputKind Kind, long Sequence, string? Data = null, string? Reason = null);
