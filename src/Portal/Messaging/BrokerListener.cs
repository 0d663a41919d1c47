using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The broker's TCP listener, in place of MQTTnet's own: every accepted connection first passes the
/// <see cref="ConnectionBudget"/> (closed at once if it does not fit), and its bytes pass a
/// <see cref="MqttPacketLimitStream"/> that refuses oversized packets from their fixed header. MQTTnet's listener has
/// neither: an idle-socket flood took every descriptor of the process, and a CONNECT announcing 256 MiB was allocated
/// and read whole. Listens on one address and port (0.0.0.0: IPv4 and IPv6 where the host has it). With
/// <see cref="BrokerTls"/> it speaks TLS (MQTTS): the handshake runs while the connection is still pending, so
/// the budget's connect timeout also ends a client that never finishes it; a client certificate is asked for, not
/// required; one that the portal CA did not issue, or outside its validity, ends the handshake; a good one is handed to
/// MQTTnet's channel for the CONNECT check (which device it is, and whether its serial is still the device's).
/// </summary>
internal sealed class BrokerListener(
    MqttOptions options,
    BrokerEndpoint endpoint,
    BrokerTls? tls,
    ConnectionBudget budget,
    ILogger logger) : IMqttServerAdapter
{
    private readonly List<Socket> _sockets = [];

    // The connection each channel adapter the broker sees belongs to (for the CONNECT check).
    private readonly ConditionalWeakTable<IMqttChannelAdapter, BrokerConnection> _connections = [];
    private CancellationTokenSource? _stopping;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>The port listened on (the configured one, or the one the system chose for port 0).</summary>
    public int Port { get; private set; }

    /// <summary>
    /// The budget entry of the connection behind <paramref name="adapter"/>; null for one this listener did not accept.
    /// </summary>
    public BrokerConnection? ConnectionOf(IMqttChannelAdapter adapter) =>
        _connections.TryGetValue(adapter, out var connection) ? connection : null;

    public Task StartAsync(MqttServerOptions serverOptions, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(serverOptions);
        _stopping = new CancellationTokenSource();
        var address = IPAddress.Parse(endpoint.BindAddress);
        var socket = address.Equals(IPAddress.Any) && Socket.OSSupportsIPv6 ? DualMode() : Bound(address);
        _sockets.Add(socket);
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        _ = Task.Run(() => AcceptAsync(socket, serverOptions, logger, _stopping.Token));
        return Task.CompletedTask;
    }

    public Task StopAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping?.Cancel();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
        _stopping?.Dispose();
        _stopping = null;
    }

    private Socket DualMode()
    {
        try
        {
            return Bound(IPAddress.IPv6Any, dualMode: true);
        }
        catch (SocketException)
        {
            return Bound(IPAddress.Any);   // IPv6 is off on this host
        }
    }

    private Socket Bound(IPAddress address, bool dualMode = false)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode)
            {
                socket.DualMode = true;
            }

            // A restart may bind while the old connections sit in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, endpoint.Port));
            socket.Listen(options.ConnectionBacklog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptAsync(Socket listener, MqttServerOptions serverOptions, IMqttNetLogger mqttLogger,
        CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors, or the peer reset before accept: the listener goes on.
                logger.LogWarning("MQTT accept failed: {Error}", ex.SocketErrorCode);
                await Task.Delay(TimeSpan.FromMilliseconds(100), stopping)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var address = AddressOf(client.RemoteEndPoint);
            var connection = budget.TryAdmit(client, address);
            if (connection is null)
            {
                BrokerConnection.Reset(client);
                continue;
            }

            _ = Task.Run(() => HandleAsync(client, connection, serverOptions, mqttLogger), CancellationToken.None);
        }
    }

    private async Task HandleAsync(Socket client, BrokerConnection connection, MqttServerOptions serverOptions,
        IMqttNetLogger mqttLogger)
    {
        var handler = ClientHandler;
        MqttPacketLimitStream? stream = null;
        try
        {
            client.NoDelay = true;

            // Nothing of MQTTnet's (buffers, channel, session manager) is built for a connection until it sends a
            // byte: a zero-byte receive waits for data without a buffer, so an idle flood costs a socket each.
            await client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
            if (client.Available == 0)
            {
                return;   // closed by the peer, or by the budget (timeout, eviction), before sending anything
            }

            Stream transport = new NetworkStream(client, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (tls is not null)
            {
                var secure = new SslStream(transport, leaveInnerStreamOpen: false);
                transport = secure;
                if (!await HandshakeAsync(tls, secure, connection).ConfigureAwait(false))
                {
                    return;
                }

                clientCertificate = secure.RemoteCertificate as X509Certificate2;
            }

            stream = new MqttPacketLimitStream(
                transport,
                options.MaxConnectPacketBytes,
                options.MaxPacketBytes,
                () => budget.ConnectReceived(connection));
            var channel = new MqttTcpChannel(stream, client.LocalEndPoint, client.RemoteEndPoint, clientCertificate);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(serverOptions.WriterBufferSize,
                serverOptions.WriterBufferSizeMax));
            using var adapter = new MqttChannelAdapter(channel, formatter, mqttLogger);
            _connections.Add(adapter, connection);
            if (handler is not null)
            {
                await handler(adapter).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
            when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or was closed by the budget; MQTTnet has cleaned up its session.
        }
        finally
        {
            // MQTTnet swallows what ends a connection, so a broken limit is reported from the stream's record of it.
            if (stream?.Refusal is { } refusal)
            {
                budget.Report(connection.Address, "packet over its size limit or malformed", refusal);
            }

            client.Dispose();
            budget.Closed(connection);
        }
    }

    /// <summary>
    /// The server side of the TLS handshake. No deadline of its own: the connection is pending until its CONNECT, so
    /// the budget closes its socket after the connect timeout, which ends a handshake that a client never finishes.
    /// False (logged as a refusal) when the client breaks it off or offers nothing acceptable.
    /// </summary>
    private async Task<bool> HandshakeAsync(BrokerTls settings, SslStream secure, BrokerConnection connection)
    {
        var tlsOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = settings.ServerCertificate(),

            // Asked for, not required: without one, the CONNECT check wants a password the device's group allows.
            ClientCertificateRequired = true,
            CertificateChainPolicy = settings.ClientChainPolicy(),
            RemoteCertificateValidationCallback = (_, presented, chain, errors) =>
                presented is null
                || (presented is X509Certificate2 certificate && settings.Issued(certificate, chain, errors)),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
        };
        try
        {
            await secure.AuthenticateAsServerAsync(tlsOptions, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (AuthenticationException ex)
        {
            budget.Report(connection.Address, "TLS handshake failed", ex.GetBaseException().Message);
            return false;
        }
    }

    internal static string AddressOf(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString(),
        null => "(unknown)",
        _ => endpoint.ToString() ?? "(unknown)",
    };
}

/// <summary>Where one broker listener listens.</summary>
internal sealed record BrokerEndpoint(string BindAddress, int Port);

