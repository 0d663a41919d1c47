using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Fleet.Shared;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>Something that happened on a connection, delivered to the device loop in order.</summary>
internal abstract record SessionEvent;

internal sealed record MessageReceived(string Topic, byte[] Payload) : SessionEvent;

internal sealed record ConnectionLost(MqttClientDisconnectReason Reason, string? Detail) : SessionEvent;

/// <summary>Something outside the connection has work for the loop (a deployment report is ready).</summary>
internal sealed record Wakeup : SessionEvent
{
    public static readonly Wakeup Instance = new();
}

/// <summary>
/// One MQTT connection. The client's callbacks only queue events; the device loop does every
/// connect, publish and disconnect itself. MQTTnet forbids connect/disconnect concurrently with other
/// operations and warns that reconnecting from DisconnectedAsync can deadlock, so this keeps all of
/// it on one logical thread.
/// </summary>
internal sealed class MqttSession : IDisposable
{
    private readonly IMqttClient _client;
    private readonly TimeProvider _time;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeSpan _acknowledgementTimeout;
    private readonly Channel<SessionEvent> _events =
        Channel.CreateUnbounded<SessionEvent>(new UnboundedChannelOptions { SingleReader = true });

    /// <param name="acknowledgementTimeout">How long a publish waits for its acknowledgement (AgentOptions).</param>
    /// <param name="client">The MQTTnet client the session drives.</param>
    /// <param name="time">The clock for timeouts.</param>
    /// <param name="operationTimeout">How long a connect or subscribe may take (AgentOptions).</param>
    public MqttSession(
        IMqttClient client, TimeProvider time, TimeSpan operationTimeout, TimeSpan acknowledgementTimeout)
    {
        _client = client;
        _time = time;
        _operationTimeout = operationTimeout;
        _acknowledgementTimeout = acknowledgementTimeout;
        _client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public bool IsConnected => _client.IsConnected;

    public Task<MqttClientConnectResult> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken) =>
        WithTimeoutAsync(
            token => _client.ConnectAsync(options, token), "CONNECT", _operationTimeout, cancellationToken);

    /// <summary>Subscribes at QoS 1; returns whether the broker granted it (an ACL refusal returns false).</summary>
    public async Task<bool> SubscribeAsync(string topic, CancellationToken cancellationToken) =>
        (await SubscribeAsync([topic], cancellationToken))[0];

    /// <summary>Subscribes to several topics at QoS 1 in one SUBSCRIBE packet (one round trip); per topic, whether the broker granted it.</summary>
    public async Task<bool[]> SubscribeAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var topic in topics)
        {
            builder.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var options = builder.Build();
        var result = await WithTimeoutAsync(
            token => _client.SubscribeAsync(options, token), "SUBSCRIBE", _operationTimeout, cancellationToken);
        return [.. topics.Select(topic => result.Items.FirstOrDefault(i => i.TopicFilter.Topic == topic) is { } item
            && (int)item.ResultCode <= (int)MqttClientSubscribeResultCode.GrantedQoS2)];
    }

    /// <summary>Publishes at QoS 1; returns whether the broker accepted it (an ACL refusal returns false).</summary>
    public Task<bool> PublishAsync<T>(
        string topic, T message, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        PublishAsync(topic, JsonSerializer.SerializeToUtf8Bytes(message, typeInfo), cancellationToken);

    /// <summary>
    /// Publishes <paramref name="payload"/> as it is at QoS 1; true when the broker acknowledged success. Waits for the
    /// acknowledgement up to the acknowledgement timeout, not the operation timeout: the portal acknowledges once the
    /// message is stored.
    /// </summary>
    public async Task<bool> PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken)
    {
        var applicationMessage = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await WithTimeoutAsync(
            token => _client.PublishAsync(applicationMessage, token),
            "PUBLISH",
            _acknowledgementTimeout,
            cancellationToken);
        return result.IsSuccess;
    }

    /// <summary>The next event, or <see langword="null"/> when <paramref name="deadline"/> passes first.</summary>
    public async Task<SessionEvent?> WaitAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        if (_events.Reader.TryRead(out var ready))
        {
            return ready;
        }

        // Deadlines are absolute so that a clock that jumps (or a test advancing a fake one) is never missed.
        var wait = deadline - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }

        // Protocol timing runs on the injected clock so tests can fast-forward heartbeats and retries.
        using var timer = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await _events.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Makes a pending <see cref="WaitAsync"/> return <see cref="Wakeup"/>; safe from any thread.</summary>
    public void Wake() => _events.Writer.TryWrite(Wakeup.Instance);

    /// <summary>Sends DISCONNECT (which tells the broker not to publish the will); never throws.</summary>
    public async Task DisconnectQuietlyAsync()
    {
        if (!_client.IsConnected)
        {
            return;
        }

        using var timeout = StartTimeout(_operationTimeout, CancellationToken.None);
        try
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The connection is going away either way; the broker falls back to the will message.
        }
    }

    public void Dispose()
    {
        _client.ApplicationMessageReceivedAsync -= OnMessageReceivedAsync;
        _client.DisconnectedAsync -= OnDisconnectedAsync;
        _client.Dispose();
    }

    // Network operations time out on the real clock: they guard real sockets, which a fake clock
    // in a test would otherwise leave hanging for ever.
    private static CancellationTokenSource StartTimeout(TimeSpan limit, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(limit);
        return source;
    }

    /// <summary>
    /// Runs one request with the operation timeout. MQTTnet reports a cancelled request as a timeout,
    /// so both outcomes are translated here: shutdown becomes OperationCanceledException (the device
    /// loop then goes offline cleanly) and a real timeout becomes TimeoutException (a reconnect).
    /// </summary>
    private static async Task<T> WithTimeoutAsync<T>(
        Func<CancellationToken, Task<T>> operation, string what, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = StartTimeout(limit, cancellationToken);
        try
        {
            return await operation(timeout.Token);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception ex) when (timeout.IsCancellationRequested && ex is OperationCanceledException or MqttCommunicationTimedOutException)
        {
            throw new TimeoutException($"The broker did not answer {what} within {limit.TotalSeconds:0} s.", ex);
        }
    }

    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        var message = args.ApplicationMessage;
        if (message.Payload.Length <= Protocol.MaxPayloadBytes)
        {
            _events.Writer.TryWrite(new MessageReceived(message.Topic, message.Payload.ToArray()));
        }

        return Task.CompletedTask;
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs args)
    {
        // A failed CONNECT also raises this event; ConnectAsync already reports that to the loop.
        if (args.ClientWasConnected)
        {
            _events.Writer.TryWrite(new ConnectionLost(args.Reason, args.ReasonString ?? args.Exception?.Message));
        }

        return Task.CompletedTask;
    }
}
