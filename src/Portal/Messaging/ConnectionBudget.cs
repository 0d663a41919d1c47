using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// How many MQTT connections the broker holds, and of which kind, so that no client and no flood can take what the
/// rest of the process needs. A connection is <em>pending</em> from accept until its whole CONNECT has arrived, then a
/// <em>bootstrap</em> or <em>device</em> session once the broker has accepted it:
/// <list type="bullet">
/// <item>all connections together stay under <see cref="MaxConnections"/> (the descriptor limit less a reserve);</item>
/// <item>pending ones are few and short-lived (<see cref="MqttOptions.ConnectTimeoutSeconds"/>); when their pool is
/// full a new connection closes the oldest silent one, so an idle-socket flood churns through the pool while a real
/// client, which sends its CONNECT at once, gets in; one address may hold only a few;</item>
/// <item>bootstrap sessions are anonymous, so they have a budget of their own, overall and per address;</item>
/// <item>device sessions have proven a credential: they count only towards the total.</item>
/// </list>
/// </summary>
internal sealed class ConnectionBudget : IDisposable
{
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ConnectionBudget> _logger;
    private readonly Lock _lock = new();
    private readonly LinkedList<BrokerConnection> _pending = new();
    private readonly Dictionary<string, int> _pendingByAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _bootstrapByAddress = new(StringComparer.Ordinal);
    private readonly RepeatedLog _refusals;
    private readonly ITimer _sweep;
    private int _total;
    private int _bootstrap;
    private int _devices;

    public ConnectionBudget(IOptions<MqttOptions> options, TimeProvider time, ILogger<ConnectionBudget> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_options, _time, _logger) = (options.Value, time, logger);
        _refusals = new RepeatedLog(time, TimeSpan.FromMinutes(1));
        MaxConnections = _options.MaxConnections > 0
            ? _options.MaxConnections
            : Math.Max(64, DescriptorLimit() - _options.ReservedDescriptors);
        var period = TimeSpan.FromSeconds(Math.Min(1, _options.ConnectTimeoutSeconds / 2.0));
        _sweep = time.CreateTimer(_ => CloseTimedOut(), null, period, period);
    }

    /// <summary>The most connections the broker holds at once.</summary>
    public int MaxConnections { get; }

    /// <summary>What the broker holds now.</summary>
    public ConnectionCounts Counts
    {
        get
        {
            lock (_lock)
            {
                return new ConnectionCounts(_total, _pending.Count, _bootstrap, _devices);
            }
        }
    }

    /// <summary>A connection just accepted: admitted as pending, or null when it must be closed at once.</summary>
    public BrokerConnection? TryAdmit(Socket socket, string address)
    {
        BrokerConnection? evicted = null;
        BrokerConnection? admitted = null;
        string? refusal = null;
        lock (_lock)
        {
            if (_pendingByAddress.GetValueOrDefault(address) >= _options.MaxPendingConnectionsPerAddress)
            {
                refusal = "too many connections from this address have not sent a CONNECT";
            }
            else if (_total >= MaxConnections || _pending.Count >= _options.MaxPendingConnections)
            {
                evicted = OldestSilent();
                refusal = evicted is null
                    ? (_total >= MaxConnections ? "connection budget full"
                        : "too many connections have not sent a CONNECT")
                    : null;
            }

            if (refusal is null)
            {
                admitted = new BrokerConnection(socket, address, _time.GetTimestamp());
                admitted.PendingNode = _pending.AddLast(admitted);
                _pendingByAddress[address] = _pendingByAddress.GetValueOrDefault(address) + 1;
                _total++;
            }
        }

        if (evicted is not null)
        {
            Refused(evicted.Address, "closed while silent to make room for a new connection");
            evicted.Close();
        }

        if (refusal is not null)
        {
            Refused(address, refusal);
        }

        return admitted;
    }

    /// <summary>The connection's whole CONNECT has arrived: it is no longer silent, nor evictable.</summary>
    public void ConnectReceived(BrokerConnection connection)
    {
        lock (_lock)
        {
            LeavePending(connection);
        }
    }

    /// <summary>
    /// The broker accepted a bootstrap session on this connection, if the bootstrap budget allows it.
    /// </summary>
    public bool TryStartBootstrap(BrokerConnection connection)
    {
        string? refusal = null;
        lock (_lock)
        {
            if (connection.Kind != SessionKind.None)
            {
                return true;
            }

            if (_bootstrap >= _options.MaxBootstrapSessions)
            {
                refusal = "bootstrap session budget full";
            }
            else if (_bootstrapByAddress.GetValueOrDefault(connection.Address)
                >= _options.MaxBootstrapSessionsPerAddress)
            {
                refusal = "too many bootstrap sessions from this address";
            }
            else
            {
                LeavePending(connection);
                connection.Kind = SessionKind.Bootstrap;
                _bootstrap++;
                _bootstrapByAddress[connection.Address] = _bootstrapByAddress.GetValueOrDefault(connection.Address) + 1;
            }
        }

        if (refusal is not null)
        {
            Refused(connection.Address, refusal);
        }

        return refusal is null;
    }

    /// <summary>The broker accepted a device session on this connection.</summary>
    public void DeviceStarted(BrokerConnection connection)
    {
        lock (_lock)
        {
            if (connection.Kind == SessionKind.None)
            {
                LeavePending(connection);
                connection.Kind = SessionKind.Device;
                _devices++;
            }
        }
    }

    /// <summary>The connection ended, whatever its state; counted once however often it is called.</summary>
    public void Closed(BrokerConnection connection)
    {
        lock (_lock)
        {
            if (connection.Released)
            {
                return;
            }

            connection.Released = true;
            LeavePending(connection);
            _total--;
            if (connection.Kind == SessionKind.Bootstrap)
            {
                _bootstrap--;
                Decrement(_bootstrapByAddress, connection.Address);
            }
            else if (connection.Kind == SessionKind.Device)
            {
                _devices--;
            }
        }
    }

    public void Dispose() => _sweep.Dispose();

    private void LeavePending(BrokerConnection connection)
    {
        if (connection.PendingNode is null)
        {
            return;
        }

        _pending.Remove(connection.PendingNode);
        connection.PendingNode = null;
        Decrement(_pendingByAddress, connection.Address);
    }

    /// <summary>
    /// The oldest pending connection that has nothing waiting to be read: one whose CONNECT sits in the kernel's buffer
    /// while the portal is busy is a real client, not a silent one.
    /// </summary>
    private BrokerConnection? OldestSilent()
    {
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            if (node.Value.IsSilent)
            {
                LeavePending(node.Value);
                return node.Value;
            }
        }

        return null;
    }

    private void CloseTimedOut()
    {
        var timeout = TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds);
        var now = _time.GetTimestamp();
        List<BrokerConnection>? expired = null;
        lock (_lock)
        {
            // Oldest first: the first one still inside its deadline ends the sweep.
            while (_pending.First?.Value is { } oldest && _time.GetElapsedTime(oldest.AcceptedAt, now) >= timeout)
            {
                (expired ??= []).Add(oldest);
                LeavePending(oldest);
            }
        }

        foreach (var connection in expired ?? [])
        {
            Refused(connection.Address, $"no CONNECT within {_options.ConnectTimeoutSeconds} s");
            connection.Close();
        }
    }

    /// <summary>Logs refusals at most once a minute per reason, with how many there were.</summary>
    private void Refused(string address, string reason) => Report(address, reason);

    /// <summary>
    /// Logs a refused connection, at most once a minute per <paramref name="reason"/> with how many there were
    /// meanwhile: a flood must not flood the log too.
    /// </summary>
    public void Report(string address, string reason, string? detail = null)
    {
        if (_refusals.ShouldLog(reason, out var earlier))
        {
            _logger.LogWarning(
                "MQTT connection from {Address} closed: {Reason}{Detail} "
                + "({Earlier} more for this reason in the minute before)",
                address, reason, detail is null ? string.Empty : $" ({detail})", earlier);
        }
    }

    private static void Decrement(Dictionary<string, int> counts, string address)
    {
        if (counts.TryGetValue(address, out var n) && n > 1)
        {
            counts[address] = n - 1;
        }
        else
        {
            counts.Remove(address);
        }
    }

    /// <summary>The process's open-file limit (Linux: /proc/self/limits); 10,000 where it cannot be read.</summary>
    private static int DescriptorLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    return soft == "unlimited" ? 1_000_000 : (int)Math.Min(long.Parse(soft,
                        CultureInfo.InvariantCulture), 1_000_000);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 10_000;
    }
}

/// <summary>One accepted TCP connection of the broker, as the budget tracks it.</summary>
internal sealed class BrokerConnection(Socket socket, string address, long acceptedAt)
{
    public string Address { get; } = address;

    public long AcceptedAt { get; } = acceptedAt;

    internal SessionKind Kind { get; set; }

    internal LinkedListNode<BrokerConnection>? PendingNode { get; set; }

    internal bool Released { get; set; }

    /// <summary>Nothing received and nothing waiting in the kernel's buffer.</summary>
    internal bool IsSilent
    {
        get
        {
            try
            {
                return socket.Available == 0;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
            catch (SocketException)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Closes the socket at once (a reset, no lingering); the handler's clean-up releases its budget.
    /// </summary>
    public void Close() => Reset(socket);

    /// <summary>Closes <paramref name="socket"/> with a reset, no lingering: also for one refused on accept.</summary>
    public static void Reset(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }
}

internal enum SessionKind
{
    None,
    Bootstrap,
    Device,
}

/// <summary>Connections the broker holds, by state.</summary>
internal sealed record ConnectionCounts(int Total, int Pending, int Bootstrap, int Devices);
