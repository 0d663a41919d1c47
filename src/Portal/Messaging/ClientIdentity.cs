using Fleet.Shared;

namespace Fleet.Portal.Messaging;

/// <summary>Who is on the other end of an MQTT connection, decided once when it connects.</summary>
internal sealed record ClientIdentity(ClientKind Kind, string Id, string? Address = null)
{
    public const string SessionKey = "fleet.identity";

    public static readonly ClientIdentity Portal = new(ClientKind.Portal, "fleet-portal");

    /// <summary>The identity the broker stored in a session's items when it connected.</summary>
    public static ClientIdentity? Of(System.Collections.IDictionary? sessionItems) =>
        sessionItems?[SessionKey] as ClientIdentity;

    /// <summary>Whether this client may publish to <paramref name="topic"/>.</summary>
    public bool MayPublish(string topic) => Kind switch
    {
        ClientKind.Portal => true,
        ClientKind.Bootstrap => topic == Topics.EnrollmentRequest(Id),
        ClientKind.Device => topic == Topics.Heartbeat(Id) || topic == Topics.Status(Id) || topic == Topics.Deployments(Id)
            || topic == Topics.Health(Id) || topic == Topics.ConfigReport(Id) || topic == Topics.AgentReport(Id)
            || topic == Topics.CommandResult(Id) || topic == Topics.CommandUpload(Id) || IsOwnTerminalOutput(topic),
        _ => false,
    };

    /// <summary>The output topic of a terminal session on this device (any session: the portal checks it is open).
    /// </summary>
    private bool IsOwnTerminalOutput(string topic) =>
        Topics.TryParse(topic, out var parsed) && parsed.Kind == TopicKind.TerminalOutput && parsed.Id == Id;

    /// <summary>Whether this client may subscribe to <paramref name="filter"/>. A device gets only its own subtree.</summary>
    public bool MaySubscribe(string filter) => Kind switch
    {
        ClientKind.Portal => true,
        ClientKind.Bootstrap => filter == Topics.EnrollmentResponse(Id),
        ClientKind.Device => filter.StartsWith(Topics.DevicePrefix(Id), StringComparison.Ordinal),
        _ => false,
    };
}

internal enum ClientKind
{
    Portal,
    Bootstrap,
    Device,
}
