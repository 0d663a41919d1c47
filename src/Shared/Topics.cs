namespace Fleet.Shared;

/// <summary>
/// MQTT topic templates shared by the portal and the agent. Every topic Fleet uses is built here,
/// so the access rules the broker enforces and the topics the agent publishes cannot drift apart.
/// </summary>
public static class Topics
{
    /// <summary>Root of every Fleet topic.</summary>
    public const string Root = "fleet";

    /// <summary>Prefix of the MQTT client id a not-yet-enrolled agent must use (<c>enroll-&lt;random&gt;</c>).</summary>
    public const string EnrollmentClientIdPrefix = "enroll-";

    /// <summary>MQTT user name of the shared bootstrap identity that may only use the enrolment topics.</summary>
    public const string BootstrapUserName = "bootstrap";

    /// <summary>
    /// Name of the MQTT 5 CONNECT user property in which a bootstrap client presents its enrolment key (the
    /// <see cref="Messages.EnrollmentRequest.EnrollmentKey"/> of its requests). Once the portal has bound a key to
    /// an enrolment id, a bootstrap CONNECT with that client id and without the matching key is refused, so
    /// knowing an enrolment id is not enough to take over its session.
    /// </summary>
    public const string EnrollmentKeyProperty = "fleet-enrollment-key";

    /// <summary>Agent → portal: an <see cref="Messages.EnrollmentRequest"/> from the client whose id is <paramref name="enrollmentId"/>.</summary>
    /// <param name="enrollmentId">The agent's enrolment client id (<c>enroll-…</c>).</param>
    /// <returns>The topic <c>fleet/enroll/{enrollmentId}/request</c>.</returns>
    public static string EnrollmentRequest(string enrollmentId) => $"{Root}/enroll/{enrollmentId}/request";

    /// <summary>Portal → agent: the <see cref="Messages.EnrollmentResponse"/> for <paramref name="enrollmentId"/>.</summary>
    /// <param name="enrollmentId">The agent's enrolment client id (<c>enroll-…</c>).</param>
    /// <returns>The topic <c>fleet/enroll/{enrollmentId}/response</c>.</returns>
    public static string EnrollmentResponse(string enrollmentId) => $"{Root}/enroll/{enrollmentId}/response";

    /// <summary>Agent → portal: a <see cref="Messages.Heartbeat"/> from an enrolled device.</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/heartbeat</c>.</returns>
    public static string Heartbeat(string deviceId) => $"{DevicePrefix(deviceId)}heartbeat";

    /// <summary>Agent → portal: a <see cref="Messages.DeviceStatus"/> (online on connect; offline as the will message or on shutdown).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/status</c>.</returns>
    public static string Status(string deviceId) => $"{DevicePrefix(deviceId)}status";

    /// <summary>Portal → agent: the <see cref="Messages.DeviceSettings"/> the device must apply (heartbeat interval).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/settings</c>.</returns>
    public static string Settings(string deviceId) => $"{DevicePrefix(deviceId)}settings";

    /// <summary>Agent → portal: a <see cref="Messages.DeploymentReport"/> (booted and staged OS deployments, greenboot, update events).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/deployments</c>.</returns>
    public static string Deployments(string deviceId) => $"{DevicePrefix(deviceId)}deployments";

    /// <summary>Portal → agent: the <see cref="Messages.UpdatePolicy"/> the device must follow (stream, pause, pin, update URLs, rollback command).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/update-policy</c>.</returns>
    public static string UpdatePolicy(string deviceId) => $"{DevicePrefix(deviceId)}update-policy";

    /// <summary>Agent → portal: a <see cref="Messages.HealthReport"/> (CPU, memory, disks, temperatures, units, containers…).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/health</c>.</returns>
    public static string Health(string deviceId) => $"{DevicePrefix(deviceId)}health";

    /// <summary>Portal → agent (retained): the <see cref="Messages.DesiredConfig"/> the device must apply live.</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/config</c>.</returns>
    public static string Config(string deviceId) => $"{DevicePrefix(deviceId)}config";

    /// <summary>Agent → portal: a <see cref="Messages.ConfigReport"/> (per-entry result of a live apply, and drift).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/config-report</c>.</returns>
    public static string ConfigReport(string deviceId) => $"{DevicePrefix(deviceId)}config-report";

    /// <summary>Portal → agent: a <see cref="Messages.CredentialRotation"/> (a new secret to reconnect with).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/credential</c>.</returns>
    public static string Credential(string deviceId) => $"{DevicePrefix(deviceId)}credential";

    /// <summary>
    /// Portal → agent (retained): the <see cref="Messages.AgentRelease"/> the device must run (self-update).
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/agent</c>.</returns>
    public static string AgentRelease(string deviceId) => $"{DevicePrefix(deviceId)}agent";

    /// <summary>
    /// Agent → portal: an <see cref="Messages.AgentUpdateReport"/> (a self-update installed, refused, failed or rolled
    /// back).
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/agent-report</c>.</returns>
    public static string AgentReport(string deviceId) => $"{DevicePrefix(deviceId)}agent-report";

    /// <summary>
    /// Portal → agent: a <see cref="Messages.CommandRequest"/> (not retained: the portal keeps queued commands and
    /// sends them again each time the device comes online, until the device says it has them).
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/commands</c>.</returns>
    public static string Commands(string deviceId) => $"{DevicePrefix(deviceId)}commands";

    /// <summary>Agent → portal: a <see cref="Messages.CommandResult"/> (delivered, running, finished).</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/command-result</c>.</returns>
    public static string CommandResult(string deviceId) => $"{DevicePrefix(deviceId)}command-result";

    /// <summary>
    /// Agent → portal: one <see cref="Messages.CommandUpload"/> part of a command's file (a journal).
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/command-upload</c>.</returns>
    public static string CommandUpload(string deviceId) => $"{DevicePrefix(deviceId)}command-upload";

    /// <summary>
    /// Portal → agent: a <see cref="Messages.TerminalInput"/> of one browser-terminal session (open, keystrokes,
    /// close). One topic pair per session, so a session's messages stay in order and its id is checked by the broker.
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <param name="session">The session id (<see cref="IsTerminalSession"/>).</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/terminal/{session}/in</c>.</returns>
    public static string TerminalInput(string deviceId, string session) =>
        $"{DevicePrefix(deviceId)}{TerminalSegment}/{session}/in";

    /// <summary>Agent → portal: a <see cref="Messages.TerminalOutput"/> of one session (opened, output, closed).
    /// </summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <param name="session">The session id (<see cref="IsTerminalSession"/>).</param>
    /// <returns>The topic <c>fleet/devices/{deviceId}/terminal/{session}/out</c>.</returns>
    public static string TerminalOutput(string deviceId, string session) =>
        $"{DevicePrefix(deviceId)}{TerminalSegment}/{session}/out";

    /// <summary>The filter an agent subscribes with to receive the input of every session opened on it.</summary>
    /// <param name="deviceId">The device id the portal issued with the credential.</param>
    /// <returns><c>fleet/devices/{deviceId}/terminal/+/in</c>.</returns>
    public static string TerminalInputFilter(string deviceId) => $"{DevicePrefix(deviceId)}{TerminalSegment}/+/in";

    /// <summary>Whether <paramref name="session"/> is a terminal session id: 32 lower-case hex digits.</summary>
    /// <param name="session">The topic segment.</param>
    /// <returns>Whether it is well formed.</returns>
    public static bool IsTerminalSession(string session) =>
        session is { Length: 32 } && session.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private const string TerminalSegment = "terminal";

    /// <summary>The prefix every topic of one device starts with; a device may use no topic outside it.</summary>
    /// <param name="deviceId">The device id.</param>
    /// <returns><c>fleet/devices/{deviceId}/</c>.</returns>
    public static string DevicePrefix(string deviceId) => $"{Root}/devices/{deviceId}/";

    /// <summary>
    /// Splits a topic into its kind and the id in it (and a terminal topic's session). Returns <see langword="false"/>
    /// for any topic that is not one of Fleet's (wrong root, wrong depth, wildcard characters, empty id, bad session).
    /// </summary>
    /// <param name="topic">The topic of a received message.</param>
    /// <param name="parsed">The kind and the enrolment or device id.</param>
    /// <returns>Whether the topic is a Fleet topic.</returns>
    public static bool TryParse(string topic, out ParsedTopic parsed)
    {
        parsed = default;
        if (string.IsNullOrEmpty(topic) || topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal))
        {
            return false;
        }

        var parts = topic.Split('/');
        if (parts.Length == 6)
        {
            return TryParseTerminal(parts, out parsed);
        }

        if (parts.Length != 4 || parts[0] != Root || parts[2].Length == 0)
        {
            return false;
        }

        var kind = (parts[1], parts[3]) switch
        {
            ("enroll", "request") => TopicKind.EnrollmentRequest,
            ("enroll", "response") => TopicKind.EnrollmentResponse,
            ("devices", "heartbeat") => TopicKind.Heartbeat,
            ("devices", "status") => TopicKind.Status,
            ("devices", "settings") => TopicKind.Settings,
            ("devices", "deployments") => TopicKind.Deployments,
            ("devices", "update-policy") => TopicKind.UpdatePolicy,
            ("devices", "health") => TopicKind.Health,
            ("devices", "config") => TopicKind.Config,
            ("devices", "config-report") => TopicKind.ConfigReport,
            ("devices", "credential") => TopicKind.Credential,
            ("devices", "agent") => TopicKind.AgentRelease,
            ("devices", "agent-report") => TopicKind.AgentReport,
            ("devices", "commands") => TopicKind.Commands,
            ("devices", "command-result") => TopicKind.CommandResult,
            ("devices", "command-upload") => TopicKind.CommandUpload,
            _ => TopicKind.Unknown,
        };
        if (kind == TopicKind.Unknown)
        {
            return false;
        }

        parsed = new ParsedTopic(kind, parts[2]);
        return true;
    }

    private static bool TryParseTerminal(string[] parts, out ParsedTopic parsed)
    {
        parsed = default;
        var kind = parts[5] switch
        {
            "in" => TopicKind.TerminalInput,
            "out" => TopicKind.TerminalOutput,
            _ => TopicKind.Unknown,
        };
        if (parts[0] != Root || parts[1] != "devices" || parts[2].Length == 0 || parts[3] != TerminalSegment
            || kind == TopicKind.Unknown || !IsTerminalSession(parts[4]))
        {
            return false;
        }

        parsed = new ParsedTopic(kind, parts[2], parts[4]);
        return true;
    }
}

/// <summary>The kinds of Fleet topic.</summary>
public enum TopicKind
{
    /// <summary>Not a Fleet topic.</summary>
    Unknown,

    /// <summary><c>fleet/enroll/{id}/request</c>.</summary>
    EnrollmentRequest,

    /// <summary><c>fleet/enroll/{id}/response</c>.</summary>
    EnrollmentResponse,

    /// <summary><c>fleet/devices/{id}/heartbeat</c>.</summary>
    Heartbeat,

    /// <summary><c>fleet/devices/{id}/status</c>.</summary>
    Status,

    /// <summary><c>fleet/devices/{id}/settings</c>.</summary>
    Settings,

    /// <summary><c>fleet/devices/{id}/deployments</c>.</summary>
    Deployments,

    /// <summary><c>fleet/devices/{id}/update-policy</c>.</summary>
    UpdatePolicy,

    /// <summary><c>fleet/devices/{id}/health</c>.</summary>
    Health,

    /// <summary><c>fleet/devices/{id}/config</c>.</summary>
    Config,

    /// <summary><c>fleet/devices/{id}/config-report</c>.</summary>
    ConfigReport,

    /// <summary><c>fleet/devices/{id}/credential</c>.</summary>
    Credential,

    /// <summary><c>fleet/devices/{id}/agent</c>.</summary>
    AgentRelease,

    /// <summary><c>fleet/devices/{id}/agent-report</c>.</summary>
    AgentReport,

    /// <summary><c>fleet/devices/{id}/commands</c>.</summary>
    Commands,

    /// <summary><c>fleet/devices/{id}/command-result</c>.</summary>
    CommandResult,

    /// <summary><c>fleet/devices/{id}/command-upload</c>.</summary>
    CommandUpload,

    /// <summary><c>fleet/devices/{id}/terminal/{session}/in</c>.</summary>
    TerminalInput,

    /// <summary><c>fleet/devices/{id}/terminal/{session}/out</c>.</summary>
    TerminalOutput,
}

/// <summary>A parsed Fleet topic.</summary>
/// <param name="Kind">Which topic it is.</param>
/// <param name="Id">The enrolment id (enrol topics) or device id (device topics).</param>
/// <param name="Session">A terminal topic's session id; null for every other topic.</param>
public readonly record struct ParsedTopic(TopicKind Kind, string Id, string? Session = null);
