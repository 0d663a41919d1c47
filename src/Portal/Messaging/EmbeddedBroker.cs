using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The MQTT broker hosted in the portal process. It authenticates every client, confines each to
/// its own topics, and hands device messages to the <see cref="IngestQueue"/>, acknowledging a
/// publish only once the pipeline has committed it.
/// </summary>
internal sealed partial class EmbeddedBroker(
    IOptions<MqttOptions> options,
    IngestQueue queue,
    DeviceMessageLimiter limiter,
    IDbContextFactory<FleetDbContext> dbFactory,
    ConnectionGuard guard,
    ConnectionBudget budget,
    TimeProvider time,
    ILogger<EmbeddedBroker> logger) : IHostedService, IDevicePublisher, IDeviceSessions, IAsyncDisposable
{
    // What a device's CONNECT is checked against: compiled once, as every device connection runs it.
    private static readonly Func<FleetDbContext, Guid, CancellationToken, Task<DeviceCredentialRow?>> CredentialOf =
        EF.CompileAsyncQuery((FleetDbContext db, Guid id, CancellationToken _) => db.Devices.AsNoTracking()
            .Where(d => d.Id == id)
            .Select(d => new DeviceCredentialRow(d.State, d.CredentialHash, d.PendingCredentialHash, d.PendingCredentialIssuedAt))
            .SingleOrDefault());

    // Retained messages on Fleet topics, by addressee (client id) then topic. Kept here, not in MQTTnet's retained
    // store: MQTTnet copies its whole store for every SUBSCRIBE packet and matches every message against every
    // filter, O(approved devices) per subscribe. Each Fleet topic has one audience, so a subscribe looks at its
    // own client's few messages only.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, MqttApplicationMessage>> _retained = new(StringComparer.Ordinal);

    // Each client's granted topic filters, so that a message handed straight to a session still goes only to a client
    // that subscribed to its topic, as MQTT requires (a refused "#" must not receive its own device's config).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _subscriptions = new(StringComparer.Ordinal);
    private readonly RepeatedLog _repeated = new(time, TimeSpan.FromMinutes(1));
    private MqttServer? _server;
    private BrokerListener? _listener;

    public bool IsRunning => _server?.IsStarted == true;

    /// <summary>The port the broker listens on once started (the system's choice when configured as 0).</summary>
    public int Port => _listener?.Port ?? 0;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var serverOptions = new MqttServerOptionsBuilder()
            .WithMaxPendingMessagesPerClient(1000)
            .Build();

        // Our own listener, not MQTTnet's: it keeps the connection budget and the packet size limit (BrokerListener).
        _listener = new BrokerListener(o, budget, logger);
        _server = new MqttServerFactory().CreateMqttServer(serverOptions, [_listener]);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.ClientSubscribedTopicAsync += OnSubscribedAsync;
        _server.ClientUnsubscribedTopicAsync += e =>
        {
            if (_subscriptions.TryGetValue(e.ClientId, out var filters))
            {
                filters.TryRemove(e.TopicFilter, out _);
            }

            return Task.CompletedTask;
        };
        _server.SessionDeletedAsync += e =>
        {
            _subscriptions.TryRemove(e.Id, out _);
            return Task.CompletedTask;
        };
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingInboundPacketAsync += InterceptInboundPacketAsync;
        _server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        try
        {
            await _server.StartAsync();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Said with the options that choose the address, so the person starting the portal knows what to change.
            throw new StartupRefusedException(ex.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.AddressAlreadyInUse =>
                    $"Fleet:Mqtt:Port {o.Port} is in use by another process "
                    + $"(on Fleet:Mqtt:BindAddress {o.BindAddress})",
                System.Net.Sockets.SocketError.AddressNotAvailable =>
                    $"Fleet:Mqtt:BindAddress {o.BindAddress} is not an address of this host",
                _ => $"The MQTT broker cannot listen on Fleet:Mqtt:BindAddress {o.BindAddress}, "
                    + $"Fleet:Mqtt:Port {o.Port}: {ex.Message}",
            }, ex);
        }

        logger.LogInformation("MQTT broker listening on {Address}:{Port}, at most {Max} connections", o.BindAddress,
            _listener.Port, budget.MaxConnections);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true })
        {
            await _server.StopAsync(new MqttServerStopOptions());
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await StopAsync(CancellationToken.None);
            _server.Dispose();
            _server = null;
        }
    }

    public Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken) => PublishAsync(topic, payload, retain: false, cancellationToken);

    public Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken) => PublishAsync(topic, payload, retain: true, cancellationToken);

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
                CustomSessionItems = new Dictionary<string, object> { [ClientIdentity.SessionKey] = ClientIdentity.Portal },
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
            var topics = _retained.GetOrAdd(addressee.Id, _ => new ConcurrentDictionary<string, MqttApplicationMessage>(StringComparer.Ordinal));
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

    /// <summary>Forgets every retained message addressed to a client (a decommissioned device).</summary>
    public void ForgetRetained(string clientId) => _retained.TryRemove(clientId, out _);

    /// <summary>How many retained messages wait for this client.</summary>
    internal int RetainedFor(string clientId) => _retained.TryGetValue(clientId, out var topics) ? topics.Count : 0;

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
            logger.LogWarning("Message to {Topic} dropped: the session of {ClientId} has {Pending} messages pending", message.Topic, clientId, session.PendingApplicationMessagesCount);
        }
    }

    private bool Subscribed(string clientId, string topic) =>
        _subscriptions.TryGetValue(clientId, out var filters)
        && filters.Keys.Any(filter => MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch);

    /// <summary>A new subscription is remembered, and gets the retained messages of its client that match it, flagged retained.</summary>
    private async Task OnSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        _subscriptions.GetOrAdd(e.ClientId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[e.TopicFilter.Topic] = 0;
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

        await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized, ReasonString = "credential revoked" });
        return true;
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var address = AddressOf(e.RemoteEndPoint);
        if (guard.LockedUntil(address, e.ClientId) is { } until)
        {
            _ = Refuse(e, MqttConnectReasonCode.Banned, $"locked out after repeated bad passwords until {until:u}");
            return;
        }

        if (KeepAliveRefusal(e) is { } keepAlive)
        {
            _ = Refuse(e, MqttConnectReasonCode.ImplementationSpecificError, keepAlive);
            return;
        }

        var (identity, knownClient) = await AuthenticateAsync(e);
        if (e.ReasonCode == MqttConnectReasonCode.BadUserNameOrPassword
            && guard.BadPassword(address, e.ClientId, knownClient) is { } lockedUntil)
        {
            logger.LogWarning(
                "MQTT {Scope} locked out until {Until:u} after bad passwords (client id {ClientId}, user {User})",
                knownClient ? $"client at {address}" : $"address {address}",
                lockedUntil,
                Truncate(e.ClientId),
                Truncate(e.UserName));
        }
        else if (identity is not null)
        {
            guard.GoodPassword(address, e.ClientId);
        }

        if (identity is not null && _listener?.ConnectionOf(e.ChannelAdapter) is { } connection)
        {
            if (identity.Kind == ClientKind.Device)
            {
                budget.DeviceStarted(connection);
            }
            else if (!budget.TryStartBootstrap(connection))
            {
                identity = Refuse(e, MqttConnectReasonCode.QuotaExceeded,
                    "bootstrap session budget full, overall or for this address");
            }
        }

        if (identity is not null)
        {
            e.SessionItems[ClientIdentity.SessionKey] = identity;
            e.ReasonCode = MqttConnectReasonCode.Success;
            if (e.CleanSession != false)
            {
                _subscriptions.TryRemove(e.ClientId, out _);   // a clean start subscribes afresh
            }
        }
    }

    /// <summary>
    /// Why a CONNECT's keep-alive is refused: 0 turns the broker's timeout off, so a client that vanished without a FIN
    /// would hold its connection for ever; an enrolling client must also come back within a bounded time.
    /// </summary>
    private string? KeepAliveRefusal(ValidatingConnectionEventArgs e)
    {
        var keepAlive = e.KeepAlivePeriod ?? 0;
        if (keepAlive == 0)
        {
            return "keep-alive 0 (no timeout) is not allowed";
        }

        var max = options.Value.MaxBootstrapKeepAliveSeconds;
        return e.UserName == Topics.BootstrapUserName && keepAlive > max
            ? $"keep-alive {keepAlive} s is over the {max} s allowed to a bootstrap session"
            : null;
    }

    /// <summary>
    /// The identity a CONNECT proves, or null (refused, reason set); <c>KnownClient</c> says whether the client id
    /// names something the portal knows (a device, an enrolment with a bound key), which is how bad passwords are
    /// counted (<see cref="ConnectionGuard.BadPassword"/>).
    /// </summary>
    private async Task<(ClientIdentity? Identity, bool KnownClient)> AuthenticateAsync(ValidatingConnectionEventArgs e)
    {
        if (e.UserName == Topics.BootstrapUserName)
        {
            if (!EnrollmentClientId().IsMatch(e.ClientId ?? string.Empty))
            {
                const string Format = "bootstrap client id must be 'enroll-' and 32 hex digits";
                return (Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, Format), false);
            }

            var expected = Encoding.UTF8.GetBytes(options.Value.BootstrapPassword);
            if (expected.Length > 0 && !CryptographicOperations.FixedTimeEquals(expected, e.RawPassword ?? []))
            {
                return (Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "wrong bootstrap password"), false);
            }

            var refusal = await Features.Enrollment.BootstrapKeyCheck.RefusalAsync(
                dbFactory, e.ClientId!, e.UserProperties, e.CancellationToken);
            if (refusal is not null)
            {
                // Only an enrolment with a bound key is refused here: a known client.
                return (Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, refusal), true);
            }

            return (new ClientIdentity(ClientKind.Bootstrap, e.ClientId!, AddressOf(e.RemoteEndPoint)), true);
        }

        if (!Guid.TryParseExact(e.UserName, "N", out var deviceId))
        {
            const string Neither = "user name is neither 'bootstrap' nor a device id";
            return (Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, Neither), false);
        }

        if (e.ClientId != e.UserName)
        {
            const string NotItsId = "a device must use its device id as client id";
            return (Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, NotItsId), false);
        }

        await using var db = await dbFactory.CreateDbContextAsync(e.CancellationToken);
        var device = await CredentialOf(db, deviceId, e.CancellationToken);
        if (device is null)
        {
            return (Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "unknown device id"), false);
        }

        if (device.State != EnrollmentState.Approved)
        {
            return (Refuse(e, MqttConnectReasonCode.NotAuthorized, $"device is {device.State}, not approved"), true);
        }

        if (!DeviceCredentials.Verify(e.Password, device.CredentialHash))
        {
            if (!DeviceCredentials.Verify(e.Password, device.PendingCredentialHash))
            {
                const string Wrong = "wrong device secret (revoked or re-issued credential?)";
                return (Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, Wrong), true);
            }

            // The device confirms a rotation by using the new secret: from now on it is the only one.
            var pending = device.PendingCredentialHash;
            await db.Devices.Where(d => d.Id == deviceId && d.PendingCredentialHash == pending)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(d => d.CredentialHash, pending)
                    .SetProperty(d => d.CredentialIssuedAt, device.PendingCredentialIssuedAt)
                    .SetProperty(d => d.PendingCredentialHash, (byte[]?)null), e.CancellationToken);
            logger.LogInformation("Device {DeviceId:N} connected with its rotated credential; the previous one is revoked", deviceId);
        }

        return (new ClientIdentity(ClientKind.Device, e.UserName, AddressOf(e.RemoteEndPoint)), true);
    }

    private ClientIdentity? Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string reason)
    {
        logger.LogWarning("MQTT connection refused ({Code}): {Reason}; client id {ClientId}, user {User}, from {Endpoint}",
            code, reason, Truncate(e.ClientId), Truncate(e.UserName), e.RemoteEndPoint);
        e.ReasonCode = code;
        e.ReasonString = reason;
        return null;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var filter = e.TopicFilter.Topic ?? string.Empty;
        if (IdentityOf(e.SessionItems) is { } identity && identity.MaySubscribe(filter))
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
                Truncate(filter),
                e.ClientId,
                max);
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.QuotaExceeded;
            return Task.CompletedTask;
        }

        logger.LogWarning("Subscription to {Filter} refused for client {ClientId}: outside its own topics", Truncate(filter), e.ClientId);
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        var identity = IdentityOf(e.SessionItems);
        var topic = e.ApplicationMessage.Topic ?? string.Empty;
        if (identity?.Kind == ClientKind.Portal)
        {
            return;
        }

        // Nothing a device publishes is for other clients: the portal consumes it here.
        e.ProcessPublish = false;
        if (Qos2Duplicates.IsDuplicate(e.SessionItems))
        {
            return;   // a QoS 2 message re-sent before its PUBREL: stored the first time, acknowledged again now
        }
        if (identity is null || !identity.MayPublish(topic) || !Topics.TryParse(topic, out var parsed))
        {
            logger.LogWarning("Publish to {Topic} refused for client {ClientId}: outside its own topics", Truncate(topic), e.ClientId);
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }

        if (identity.Kind == ClientKind.Bootstrap && guard.EnrollmentLimited(identity.Id, identity.Address) is { } limit)
        {
            LogThrottled(identity, limit);
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        var length = e.ApplicationMessage.Payload.Length;
        if (length > Protocol.MaxPayloadBytes)
        {
            logger.LogWarning("Message on {Topic} dropped: {Length} bytes is over the {Max}-byte limit", topic, length, Protocol.MaxPayloadBytes);
            e.Response.ReasonCode = MqttPubAckReasonCode.PayloadFormatInvalid;
            return;
        }

        var kind = parsed.Kind switch
        {
            TopicKind.EnrollmentRequest => InboundKind.EnrollmentRequest,
            TopicKind.Heartbeat => InboundKind.Heartbeat,
            TopicKind.Deployments => InboundKind.Deployments,
            TopicKind.Health => InboundKind.Health,
            TopicKind.ConfigReport => InboundKind.ConfigReport,
            _ => InboundKind.Status,
        };
        if (kind != InboundKind.EnrollmentRequest && !limiter.TryAcquire(parsed.Id, kind))
        {
            // Refused, not acknowledged: nothing the device was told is stored gets lost (docs/protocol.md).
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        var message = new InboundMessage(kind, parsed.Id, System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload), time.GetUtcNow())
        {
            Address = identity.Address,
        };
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

    /// <summary>One warning per client and minute, with a count: a flood must not flood the log too.</summary>
    private void LogThrottled(ClientIdentity identity, string limit)
    {
        if (_repeated.ShouldLog("enrolment rate " + identity.Id, out var earlier))
        {
            logger.LogWarning(
                "Enrolment requests from {ClientId} at {Address} rate-limited ({Limit}); refused with QuotaExceeded "
                + "({Earlier} more in the minute before)",
                identity.Id, identity.Address, limit, earlier);
        }
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        // A takeover means the same device reconnected on a new connection: it is not offline.
        if (IdentityOf(e.SessionItems) is { Kind: ClientKind.Device } identity && e.DisconnectType != MqttClientDisconnectType.Takeover)
        {
            queue.Post(new InboundMessage(InboundKind.ConnectionLost, identity.Id, ReadOnlyMemory<byte>.Empty, time.GetUtcNow()));
        }

        return Task.CompletedTask;
    }

    private static ClientIdentity? IdentityOf(System.Collections.IDictionary? items) =>
        items?[ClientIdentity.SessionKey] as ClientIdentity;

    private static string AddressOf(EndPoint? endpoint) => BrokerListener.AddressOf(endpoint);

    private static Task InterceptInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        Qos2Duplicates.Track(e.Packet, e.SessionItems);
        return Task.CompletedTask;
    }

    private static string Truncate(string? value) =>
        value is null ? "(none)" : value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "…");

    [GeneratedRegex("^enroll-[0-9a-f]{32}$")]
    private static partial Regex EnrollmentClientId();
}

/// <summary>What the broker reads of a device to accept its CONNECT.</summary>
internal sealed record DeviceCredentialRow(EnrollmentState State, byte[]? CredentialHash, byte[]? PendingCredentialHash, DateTimeOffset? PendingCredentialIssuedAt);
