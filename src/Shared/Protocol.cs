namespace Fleet.Shared;

/// <summary>Protocol constants both sides agree on.</summary>
public static class Protocol
{
    /// <summary>Version of the message schema. Bumped on incompatible changes; the portal refuses versions it does not know.</summary>
    public const int Version = 1;

    /// <summary>Largest payload the portal accepts on any Fleet topic, in bytes. Larger messages are dropped with a logged reason.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    /// <summary>Longest accepted string field (hostname, OS fields, interface names), in characters.</summary>
    public const int MaxFieldLength = 256;

    /// <summary>Longest accepted <c>/etc/os-release</c> key, in characters.</summary>
    public const int MaxOsReleaseKeyLength = 64;

    /// <summary>Longest accepted architecture name (<c>x86_64</c>, <c>aarch64</c>), in characters.</summary>
    public const int MaxArchitectureLength = 32;

    /// <summary>Longest accepted agent version string, in characters.</summary>
    public const int MaxAgentVersionLength = 64;

    /// <summary>Longest accepted hardware serial number, in characters.</summary>
    public const int MaxSerialNumberLength = 128;

    /// <summary>Most network interfaces accepted in one enrolment request.</summary>
    public const int MaxInterfaces = 64;

    /// <summary>Most <c>/etc/os-release</c> fields accepted in one enrolment request.</summary>
    public const int MaxOsReleaseFields = 64;

    /// <summary>Longest accepted OS version (<c>42.20250901.3.0</c>) and update stream or group name, in characters.</summary>
    public const int MaxVersionLength = 128;

    /// <summary>Length of an OSTree commit checksum: SHA-256 as lower-case hex.</summary>
    public const int OstreeChecksumLength = 64;

    /// <summary>Longest accepted deployment origin (refspec or container image reference), in characters.</summary>
    public const int MaxOriginLength = 512;

    /// <summary>Longest error text an update event carries; the agent cuts longer tool output to this.</summary>
    public const int MaxUpdateErrorLength = 1024;

    /// <summary>Longest accepted rollback command id; ids are 1–64 characters of <c>A–Z a–z 0–9 . _ -</c>.</summary>
    public const int MaxCommandIdLength = 64;

    /// <summary>Longest accepted update stream or reboot group name, in characters.</summary>
    public const int MaxUpdateNameLength = 64;

    /// <summary>Longest accepted Cincinnati or FleetLock base URL, in characters.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>Longest accepted event id (<see cref="Messages.UpdateEvent.Id"/>), in characters.</summary>
    public const int MaxEventIdLength = 64;

    /// <summary>
    /// Least time between two health reports an agent sends while it drains its store-and-forward queue: at most
    /// 48 a minute, which with one live report a minute stays under the portal's default per-device limit of 60.
    /// A health interval under four times this drains at a quarter of the interval instead.
    /// </summary>
    public static readonly TimeSpan HealthBacklogSpacing = TimeSpan.FromSeconds(1.25);

    /// <summary>Longest tail of a command's standard output or error a result carries, in characters.</summary>
    public const int MaxCommandOutputLength = 4096;

    /// <summary>Longest value of a command argument (a unit name, a time), in characters; a diagnostic script is
    /// bounded by <see cref="MaxDiagnosticScriptLength"/> instead.</summary>
    public const int MaxCommandArgumentLength = 256;

    /// <summary>Longest diagnostic script the portal stores and sends, in characters.</summary>
    public const int MaxDiagnosticScriptLength = 16 * 1024;

    /// <summary>Most lines a journal collection may ask for.</summary>
    public const int MaxJournalLines = 20_000;

    /// <summary>Largest part of an upload (gzip bytes before base64); a part's message stays under
    /// <see cref="MaxPayloadBytes"/>.</summary>
    public const int MaxUploadPartBytes = 32 * 1024;

    /// <summary>Most parts of one upload: 64 × 32 KiB = 2 MiB of gzip.</summary>
    public const int MaxUploadParts = 64;

    /// <summary>Longest time a command may run on the device, in seconds.</summary>
    public const int MaxCommandTimeoutSeconds = 3600;

    /// <summary>Longest keystroke or output text one terminal message carries, in characters; a longer one is dropped.
    /// </summary>
    public const int MaxTerminalDataLength = 4096;

    /// <summary>Longest a terminal session may last, in seconds, whatever a portal asks (8 hours).</summary>
    public const int MaxTerminalSessionSeconds = 8 * 3600;

    /// <summary>Narrowest terminal a session opens with, in columns.</summary>
    public const int MinTerminalColumns = 10;

    /// <summary>Widest terminal a session opens with, in columns.</summary>
    public const int MaxTerminalColumns = 500;

    /// <summary>Lowest terminal a session opens with, in rows.</summary>
    public const int MinTerminalRows = 2;

    /// <summary>Highest terminal a session opens with, in rows.</summary>
    public const int MaxTerminalRows = 200;

    /// <summary>Heartbeat interval used until the portal says otherwise, in seconds.</summary>
    public const int DefaultHeartbeatIntervalSeconds = 30;
}
