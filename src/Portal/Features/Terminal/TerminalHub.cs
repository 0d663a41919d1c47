using System.Collections.Concurrent;
using System.Text.Json;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Terminal;

/// <summary>
/// The open terminal sessions, and the sink of their output: a device's <see cref="TerminalOutput"/> goes from the
/// broker straight to the session's page, never through the ingest queue or the database. A message for a session
/// that is not open, of another device's session, unreadable or over the size limits is dropped with a logged reason.
/// </summary>
public sealed class TerminalHub(ILogger<TerminalHub> logger) : ILiveMessageSink
{
    private readonly ConcurrentDictionary<string, TerminalSession> _open = new(StringComparer.Ordinal);

    TopicKind ILiveMessageSink.Kind => TopicKind.TerminalOutput;

    /// <summary>Sessions open now.</summary>
    public int Count => _open.Count;

    internal void Add(TerminalSession session) => _open[session.Id] = session;

    internal void Remove(TerminalSession session) => _open.TryRemove(session.Id, out _);

    bool ILiveMessageSink.TryAccept(ParsedTopic topic, byte[] payload)
    {
        if (topic.Session is not { } id || !_open.TryGetValue(id, out var session))
        {
            // Normal for the last words of a session the portal has just closed.
            logger.LogInformation("Terminal output for session {Session} of device {DeviceId} dropped: not open",
                topic.Session, topic.Id);
            return false;
        }

        if (session.DeviceKey != topic.Id)
        {
            logger.LogWarning(
                "Terminal output for session {Session} from device {DeviceId} dropped: the session is another device's",
                id, topic.Id);
            return false;
        }

        TerminalOutput? message;
        try
        {
            message = JsonSerializer.Deserialize(payload, FleetJson.Default.TerminalOutput);
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Terminal output for session {Session} dropped: unreadable ({Error})", id, ex.Message);
            return false;
        }

        if (Problem(message) is { } problem)
        {
            logger.LogWarning("Terminal output for session {Session} dropped: {Problem}", id, problem);
            return false;
        }

        if (!session.Next(message!.Sequence))
        {
            return true;   // a repeat: acknowledged, shown once
        }

        switch (message.Kind)
        {
            case TerminalOutputKind.Opened:
                session.MarkStarted();
                break;
            case TerminalOutputKind.Data:
                session.Deliver(message.Data!);
                break;
            case TerminalOutputKind.Closed:
                _ = session.DeviceClosed?.Invoke("device: " + (message.Reason ?? "closed"));
                break;
        }

        return true;
    }

    /// <summary>Why a message is dropped; null when every field is within bounds.</summary>
    internal static string? Problem(TerminalOutput? message) => message switch
    {
        null => "empty",
        { Sequence: < 1 } => "sequence below 1",
        { Kind: TerminalOutputKind.Data, Data: null or "" } => "data missing",
        { Data.Length: > Protocol.MaxTerminalDataLength } =>
            $"{message.Data.Length} characters of data, over the {Protocol.MaxTerminalDataLength}-character limit",
        { Reason.Length: > Protocol.MaxFieldLength } => "reason too long",
        _ => null,
    };
}
