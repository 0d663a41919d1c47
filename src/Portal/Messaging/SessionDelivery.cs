using System.Collections.Concurrent;
using Fleet.Shared;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Portal → device delivery: each Fleet topic has one audience, the client named in it, so a message goes straight
/// to that client's session, and retained messages are kept per addressee (decision 0016). Also keeps each client's
/// granted subscriptions: a client subscribes only inside its own topics, and only so many filters.
/// </summary>
internal sealed class SessionDelivery(IOptions<MqttOptions> options, ILogger<SessionDelivery> logger)
    : IDevicePublisher, IDeviceSessions
{
    // Retained messages on Fleet topics, by addressee (client id) then topic. Kept here, not in MQTTnet's retained
    // store: MQTTnet copies its whole store for every SUBSCRIBE packet and matches every message against every
    // filter, O(approved devices) per subscribe. Each Fleet topic has one audience, so a subscribe looks at its
    // own client's few messages only.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, MqttApplicationMessage>> _retained =
        new(StringComparer.Ordinal);

    // Each client's granted topic filters, so that a message handed straight to a session still goes only to a client
    // that subscribed to its topic, as MQTT requires (a refused "#" must not receive its own device's config).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _subscriptions =
        new(StringComparer.Ordinal);

    private MqttServer? _server;

    /// <summary>Delivers through <paramref name="server"/> from now on, and keeps its subscriptions.</summary>
    public void Attach(MqttServer server)
    {
        _server = server;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientSubscribedTopicAsync += OnSubscribedAsync;
        server.ClientUnsubscribedTopicAsync += e =>
        {
            if (_subscriptions.TryGetValue(e.ClientId, out var filters))
            {
                filters.TryRemove(e.TopicFilter, out _);
            }

            return Task.CompletedTask;
        };
        server.SessionDeletedAsync += e =>
        {
            _subscriptions.TryRemove(e.Id, out _);
            return Task.CompletedTask;
        };
    }

    /// <summary>A client connecting with a clean start subscribes afresh.</summary>
    public void CleanStart(string clientId) => _subscriptions.TryRemove(clientId, out _);

    public Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken) =>
        PublishAsync(topic, payload, retain: false, cancellationToken);

    public Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken) =>
        PublishAsync(topic, payload, retain: true, cancellationToken);

    /// <summary>Forgets every retained message addressed to a client (a decommissioned device).</summary>
    public void ForgetRetained(string clientId) => _retained.TryRemove(clientId, out _);

    /// <summary>The retained messages that wait for this client.</summary>
    internal IReadOnlyCollection<MqttApplicationMessage> RetainedFor(string clientId) =>
        _retained.TryGetValue(clientId, out var topics) ? [.. topics.Values] : [];

    public async Task<bool> DisconnectAsync(string clientId, CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true })
        {
            return false;
        }

        var client = (await _server.GetClientsAsync()).FirstOrDefault(c => c.Id == clientId);
        if (client is null)
        {
            return false;
        }

        await client.DisconnectAsync(new MqttServerClientDisconnectOptions
        {
            ReasonCode = MqttDisconnectReasonCode.NotAuthorized,
            ReasonString = "credential revoked",
        });
        return true;
    }

    private async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true })
        {
            logger.LogWarning("Broker not running; message to {Topic} not sent", topic);
            return;
        }

        MqttApplicationMessage Message(bool retainFlag) => new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retainFlag)
            .Build();
        var message = Message(retain);
        if (!Topics.TryParse(topic, out var addressee))
        {
            var injected = new InjectedMqttApplicationMessage(message)
            {
                SenderClientId = ClientIdentity.Portal.Id,
                CustomSessionItems = new Dictionary<string, object>
                {
                    [ClientIdentity.SessionKey] = ClientIdentity.Portal,
                },
            };
            await _server.InjectApplicationMessage(injected, cancellationToken);
            return;
        }

        // Every Fleet topic has one audience, the client named in it (the only one allowed to subscribe, see
        // ClientIdentity.MaySubscribe), so the message goes straight to that session. MQTTnet's general dispatch
        // checks every connected session's subscriptions for each message: O(connected devices) per publish.
        if (retain)
        {
            // For whoever subscribes next, as a retained publish would; an empty payload clears the topic.
            var topics = _retained.GetOrAdd(addressee.Id,
                _ => new ConcurrentDictionary<string, MqttApplicationMessage>(StringComparer.Ordinal));
            if (payload.Length == 0)
            {
                topics.TryRemove(topic, out _);
            }
            else
            {
                topics[topic] = message;
            }
        }

        if (!Subscribed(addressee.Id, topic))
        {
            return;   // not subscribed (yet): a retained message is delivered when it subscribes
        }

        var live = retain ? Message(retainFlag: false) : message;   // a live delivery is not flagged retained
        await EnqueueAsync(addressee.Id, live);
    }

    private async Task EnqueueAsync(string clientId, MqttApplicationMessage message)
    {
        MqttSessionStatus session;
        try
        {
            session = await _server!.GetSessionAsync(clientId);
        }
        catch (InvalidOperationException)
        {
            return;   // no session: nobody to deliver to now (a retained message waits in the store)
        }

        if (!session.TryEnqueueApplicationMessage(message, out _))
        {
            logger.LogWarning("Message to {Topic} dropped: the session of {ClientId} has {Pending} messages pending",
                message.Topic, clientId, session.PendingApplicationMessagesCount);
        }
    }

    private bool Subscribed(string clientId, string topic) =>
        _subscriptions.TryGetValue(clientId, out var filters)
        && filters.Keys.Any(f => MqttTopicFilterComparer.Compare(topic, f) == MqttTopicFilterCompareResult.IsMatch);

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var filter = e.TopicFilter.Topic ?? string.Empty;
        if (ClientIdentity.Of(e.SessionItems) is { } identity && identity.MaySubscribe(filter))
        {
            var max = options.Value.MaxSubscriptionsPerClient;
            if (identity.Kind == ClientKind.Portal
                || !_subscriptions.TryGetValue(e.ClientId, out var held)
                || held.Count < max
                || held.ContainsKey(filter))
            {
                return Task.CompletedTask;
            }

            logger.LogWarning(
                "Subscription to {Filter} refused for client {ClientId}: it already holds {Max} topic filters",
                ConnectAttempt.Printable(filter),
                e.ClientId,
                max);
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.QuotaExceeded;
            return Task.CompletedTask;
        }

        logger.LogWarning("Subscription to {Filter} refused for client {ClientId}: outside its own topics",
            ConnectAttempt.Printable(filter), e.ClientId);
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        return Task.CompletedTask;
    }

    /// <summary>
    /// A new subscription is remembered, and gets the retained messages of its client that match it, flagged retained.
    /// </summary>
    private async Task OnSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        _subscriptions.GetOrAdd(e.ClientId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))
            [e.TopicFilter.Topic] = 0;
        if (e.TopicFilter.RetainHandling == MqttRetainHandling.DoNotSendOnSubscribe
            || _server is not { IsStarted: true }
            || !_retained.TryGetValue(e.ClientId, out var topics))
        {
            return;
        }

        foreach (var (topic, message) in topics)
        {
            if (MqttTopicFilterComparer.Compare(topic, e.TopicFilter.Topic) == MqttTopicFilterCompareResult.IsMatch)
            {
                await EnqueueAsync(e.ClientId, message);
            }
        }
    }
}
