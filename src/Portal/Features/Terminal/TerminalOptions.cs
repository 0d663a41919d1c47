using System.ComponentModel.DataAnnotations;
using Fleet.Shared;

namespace Fleet.Portal.Features.Terminal;

/// <summary>Section <c>Fleet:Terminal</c>: how long a browser-terminal session may last, and how many at once.
/// </summary>
public sealed class TerminalOptions
{
    public const string Section = "Fleet:Terminal";

    /// <summary>Seconds a session lasts at most; then the portal and the agent close it.</summary>
    [Range(10, Protocol.MaxTerminalSessionSeconds)]
    public int MaxSessionSeconds { get; set; } = 1800;

    /// <summary>Seconds a session may go without a keystroke before it is closed.</summary>
    [Range(10, Protocol.MaxTerminalSessionSeconds)]
    public int IdleSeconds { get; set; } = 600;

    /// <summary>Seconds a device has to start the shell before the session is given up.</summary>
    [Range(1, 300)]
    public int OpenTimeoutSeconds { get; set; } = 20;

    /// <summary>Sessions open at once over the whole portal; one more is refused.</summary>
    [Range(1, 1000)]
    public int MaxSessions { get; set; } = 20;

    /// <summary>
    /// Output messages (up to 4,096 characters each) one device may send per minute on average; more are refused
    /// at the broker (PUBACK 0x97) like any kind over its rate. 12,000: about 800 KB/s.
    /// </summary>
    [Range(60, 600_000)]
    public int OutputMessagesPerMinute { get; set; } = 12_000;

    /// <summary>Output messages one device may send back to back before <see cref="OutputMessagesPerMinute"/>
    /// applies.</summary>
    [Range(1, 100_000)]
    public int OutputBurst { get; set; } = 1_000;
}
