using System.ComponentModel.DataAnnotations;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Terminal;

/// <summary>Section <c>Agent:Terminal</c>: the browser terminal's shells on this device.</summary>
public sealed class TerminalAgentOptions
{
    public const string SectionName = "Agent:Terminal";

    /// <summary>Whether the agent runs the browser terminal at all; false: it subscribes to nothing, and the portal
    /// gives up on a session it opens.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most shells open at once; one more is refused with a reason.</summary>
    [Range(1, 16)]
    public int MaxSessions { get; set; } = 2;

    /// <summary>Longest a session lasts on this device, whatever the portal asks.</summary>
    [Range(10, Protocol.MaxTerminalSessionSeconds)]
    public int MaxSessionSeconds { get; set; } = 3600;

    /// <summary>
    /// util-linux <c>script</c>, which gives the shell a pseudo-terminal (echo, line editing, job control); it is
    /// part of Fedora CoreOS.
    /// </summary>
    [Required]
    public string ScriptPath { get; set; } = "/usr/bin/script";

    /// <summary>The shell <c>script</c> starts, interactive (<c>-i</c>).</summary>
    [Required]
    public string Shell { get; set; } = "/bin/sh";
}
