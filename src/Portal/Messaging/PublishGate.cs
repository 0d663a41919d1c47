using Fleet.Shared;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Everything a client publishes passes here: nothing a device sends is for other clients, so the portal consumes it.
/// A message inside the client's own topics, within its rate and size, is queued for ingest and acknowledged only once
/// its batch is committed; a kind an <see cref="ILiveMessageSink"/> takes goes to it instead, never stored; anything
/// else gets a refusing PUBACK and costs the database nothing.
/// </summary>
internal sealed class PublishGate(
    IngestQueue queue,
    DeviceMessageLimiter limiter,
    IClientAuthenticator authenticator,
    IEnumerable<ILiveMessageSink> liveSinks,
    TimeProvider time,
    ILogger<PublishGate> logger)
{
    private readonly RepeatedLog _repeated = new(time, TimeSpan.FromMinutes(1));
    private readonly Dictionary<TopicKind, ILiveMessageSink> _live = liveSinks.ToDictionary(s => s.Kind);

    public void Attach(MqttServer server)
    {
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingInboundPacketAsync += e =>
        {
            Qos2Duplicates.Track(e.Packet, e.SessionItems);
            return Task.CompletedTask;
        };
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        var identity = ClientIdentity.Of(e.SessionItems);
        var topic = e.ApplicationMessage.Topic ?? string.Empty;
        if (identity?.Kind == ClientKind.Portal)
        {
            return;
        }

        e.ProcessPublish = false;
        if (Qos2Duplicates.IsDuplicate(e.SessionItems))
        {
            return;   // a QoS 2 message re-sent before its PUBREL: stored the first time, acknowledged again now
        }

        if (identity is null || !identity.MayPublish(topic) || !Topics.TryParse(topic, out var parsed))
        {
            logger.LogWarning("Publish to {Topic} refused for client {ClientId}: outside its own topics",
                ConnectAttempt.Printable(topic), e.ClientId);
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }

        if (identity.Kind == ClientKind.Bootstrap && EnrollmentRefused(identity))
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        var length = e.ApplicationMessage.Payload.Length;
        if (length > Protocol.MaxPayloadBytes)
        {
            logger.LogWarning("Message on {Topic} dropped: {Length} bytes is over the {Max}-byte limit",
                topic, length, Protocol.MaxPayloadBytes);
            e.Response.ReasonCode = MqttPubAckReasonCode.PayloadFormatInvalid;
            return;
        }

        var kind = InboundKind.Of(parsed.Kind);
        if (identity.Kind == ClientKind.Device && !limiter.TryAcquire(identity.Id, kind))
        {
            // Refused, not acknowledged: nothing the device was told is stored gets lost (docs/protocol.md).
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        var payload = System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload);
        if (_live.TryGetValue(parsed.Kind, out var sink))
        {
            if (!sink.TryAccept(parsed, payload))
            {
                e.Response.ReasonCode = MqttPubAckReasonCode.PayloadFormatInvalid;
            }

            return;
        }

        var message = new InboundMessage(kind, parsed.Id, payload, time.GetUtcNow()) { Address = identity.Address };
        await EnqueueAsync(e, message, topic);
    }

    /// <summary>Whether an enrolling client is over its enrolment rate (then refused with QuotaExceeded).</summary>
    private bool EnrollmentRefused(ClientIdentity identity)
    {
        if (authenticator.EnrollmentRefusal(identity) is not { } limit)
        {
            return false;
        }

        // One warning per client and minute, with a count: a flood must not flood the log too.
        if (_repeated.ShouldLog("enrolment rate " + identity.Id, out var earlier))
        {
            logger.LogWarning(
                "Enrolment requests from {ClientId} at {Address} rate-limited ({Limit}); refused with QuotaExceeded "
                + "({Earlier} more in the minute before)",
                identity.Id, identity.Address, limit, earlier);
        }

        return true;
    }

    private async Task EnqueueAsync(InterceptingPublishEventArgs e, InboundMessage message, string topic)
    {
        try
        {
            await queue.EnqueueAndWaitAsync(message, e.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client went away or the portal is stopping; it will re-send (QoS 1, not acknowledged).
            e.CloseConnection = true;
        }
        catch (Exception ex)
        {
            // Whatever went wrong (database busy, a bug), the broker and every other client keep running. The pipeline
            // has logged the cause; this says which messages went unacknowledged, once a minute with a count.
            if (_repeated.ShouldLog(RepeatedLog.KeyOf(ex), out var earlier))
            {
                logger.LogWarning(
                    "Message on {Topic} could not be stored ({Error}); not acknowledged as success "
                    + "({Earlier} more in the minute before)",
                    topic, ex.Message, earlier);
            }

            e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
        }
    }
}
