using Fleet.Shared;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The MQTT broker hosted in the portal process: it listens (<see cref="BrokerListener"/>: MQTTS, and plain MQTT
/// where configured), admits a CONNECT once
/// <see cref="IClientAuthenticator"/> says who it is and the <see cref="ConnectionBudget"/> has room, and hands
/// publishes to the <see cref="PublishGate"/> and deliveries to <see cref="SessionDelivery"/>.
/// </summary>
internal sealed class EmbeddedBroker(
    IOptions<MqttOptions> options,
    IngestQueue queue,
    IClientAuthenticator authenticator,
    PublishGate gate,
    SessionDelivery delivery,
    ConnectionBudget budget,
    BrokerTls tls,
    TimeProvider time,
    ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private MqttServer? _server;
    private BrokerListener? _listener;
    private BrokerListener? _plainListener;

    public bool IsRunning => _server?.IsStarted == true;

    /// <summary>The MQTTS port the broker listens on once started (the system's choice when configured as 0).</summary>
    public int Port => _listener?.Port ?? 0;

    /// <summary>The plain MQTT port once started; null when there is no plain listener.</summary>
    public int? PlainPort => _plainListener?.Port;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var serverOptions = new MqttServerOptionsBuilder()
            .WithMaxPendingMessagesPerClient(1000)
            .Build();

        // Our own listeners, not MQTTnet's: they keep the connection budget and the packet size limit (BrokerListener).
        _listener = new BrokerListener(o, new BrokerEndpoint(o.BindAddress, o.Port), tls, budget, logger);
        _plainListener = o.PlainPort is { } plainPort
            ? new BrokerListener(o, new BrokerEndpoint(o.PlainBindAddress, plainPort), null, budget, logger)
            : null;
        _server = new MqttServerFactory().CreateMqttServer(serverOptions,
            _plainListener is null ? [_listener] : [_listener, _plainListener]);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        delivery.Attach(_server);
        gate.Attach(_server);
        try
        {
            await _server.StartAsync();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Said with the options that choose the address, so the person starting the portal knows what to change.
            var (port, address, prefix) = _listener.Port == 0
                ? (o.Port, o.BindAddress, string.Empty)
                : (o.PlainPort ?? 0, o.PlainBindAddress, "Plain");
            throw new StartupRefusedException(ex.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.AddressAlreadyInUse =>
                    $"Fleet:Mqtt:{prefix}Port {port} is in use by another process "
                    + $"(on Fleet:Mqtt:{prefix}BindAddress {address})",
                System.Net.Sockets.SocketError.AddressNotAvailable =>
                    $"Fleet:Mqtt:{prefix}BindAddress {address} is not an address of this host",
                _ => $"The MQTT broker cannot listen on Fleet:Mqtt:{prefix}BindAddress {address}, "
                    + $"Fleet:Mqtt:{prefix}Port {port}: {ex.Message}",
            }, ex);
        }

        logger.LogInformation("MQTT broker listening for MQTTS on {Address}:{Port}, at most {Max} connections",
            o.BindAddress, _listener.Port, budget.MaxConnections);
        if (_plainListener is not null)
        {
            logger.LogWarning(
                "Plain MQTT (no TLS) listening on {Address}:{Port}: device passwords and data cross the network in "
                + "clear text; set Fleet:Mqtt:PlainPort only for development or same-host agents", o.PlainBindAddress,
                _plainListener.Port);
        }
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

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var address = BrokerListener.AddressOf(e.RemoteEndPoint);
        var verdict = KeepAliveRefusal(e) is { } keepAlive
            ? ConnectVerdict.Refuse(MqttConnectReasonCode.ImplementationSpecificError, keepAlive)
            : await authenticator.AuthenticateAsync(
                new ConnectAttempt(e.ClientId, e.UserName, e.RawPassword, e.UserProperties, address)
                {
                    Certificate = e.ClientCertificate,
                },
                e.CancellationToken);
        if (verdict.Identity is { } identity && ConnectionOf(e.ChannelAdapter) is { } connection)
        {
            if (identity.Kind == ClientKind.Device)
            {
                budget.DeviceStarted(connection);
            }
            else if (!budget.TryStartBootstrap(connection))
            {
                verdict = ConnectVerdict.Refuse(MqttConnectReasonCode.QuotaExceeded,
                    "bootstrap session budget full, overall or for this address");
            }
        }

        if (verdict.Identity is null)
        {
            logger.LogWarning(
                "MQTT connection refused ({Code}): {Reason}; client id {ClientId}, user {User}, from {Endpoint}",
                verdict.Code, verdict.Reason, ConnectAttempt.Printable(e.ClientId),
                ConnectAttempt.Printable(e.UserName), e.RemoteEndPoint);
            e.ReasonCode = verdict.Code;
            e.ReasonString = verdict.Reason;
            return;
        }

        e.SessionItems[ClientIdentity.SessionKey] = verdict.Identity;
        e.ReasonCode = MqttConnectReasonCode.Success;
        if (e.CleanSession != false)
        {
            delivery.CleanStart(e.ClientId);
        }
    }

    private BrokerConnection? ConnectionOf(MQTTnet.Adapter.IMqttChannelAdapter adapter) =>
        _listener?.ConnectionOf(adapter) ?? _plainListener?.ConnectionOf(adapter);

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

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        // A takeover means the same device reconnected on a new connection: it is not offline.
        if (ClientIdentity.Of(e.SessionItems) is { Kind: ClientKind.Device } identity
            && e.DisconnectType != MqttClientDisconnectType.Takeover)
        {
            queue.Post(new InboundMessage(InboundKind.ConnectionLost, identity.Id, ReadOnlyMemory<byte>.Empty,
                time.GetUtcNow()));
        }

        return Task.CompletedTask;
    }
}
