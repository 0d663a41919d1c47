using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>A message a client published to the broker.</summary>
internal sealed record Published(string ClientId, string Topic, byte[] Payload)
{
    public T Read<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(Payload, typeInfo)!;
}

/// <summary>
/// A real MQTTnet broker on a free port with just enough of the portal to drive an agent: it checks the
/// bootstrap and device credentials, answers enrolment requests with what the test scripts, and records
/// everything published.
/// </summary>
internal sealed class FakePortal : IAsyncDisposable
{
    private readonly MqttServer _server;
    private readonly Lock _gate = new();
    private readonly List<Published> _published = [];
    private readonly List<(Func<Published, bool> Match, TaskCompletionSource<Published> Done)> _waiters = [];
    private int _requests;

    private FakePortal(int port)
    {
        Port = port;
        var options = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointPort(port).Build();
        _server = new MqttServerFactory().CreateMqttServer(options);
        _server.ValidatingConnectionAsync += ValidateAsync;
        _server.InterceptingPublishAsync += OnPublishAsync;
        _server.InterceptingSubscriptionAsync += args =>
        {
            Subscriptions.Enqueue(args.TopicFilter.Topic);
            return Task.CompletedTask;
        };
    }

    public int Port { get; }

    public string BootstrapPassword { get; init; } = string.Empty;

    /// <summary>The keys bootstrap CONNECTs presented (<see cref="Topics.EnrollmentKeyProperty"/>), in order.</summary>
    public ConcurrentQueue<string?> BootstrapKeys { get; } = new();

    /// <summary>Every topic filter clients subscribed to, in the order the broker received them.</summary>
    public ConcurrentQueue<string> Subscriptions { get; } = new();

    /// <summary>Device id → secret the broker accepts.</summary>
    public ConcurrentDictionary<string, string> Credentials { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers for the n-th (1-based) enrolment request; null sends nothing.</summary>
    public Func<int, EnrollmentRequest, EnrollmentResponse?> Decide { get; set; } = (_, _) => null;

    /// <summary>
    /// How long the broker holds the PUBACK of a message, as a busy portal does that stores before acknowledging. The
    /// broker handles one client's packets in order, so a held message also holds that client's next ones.
    /// </summary>
    public Func<Published, TimeSpan> AcknowledgementDelay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>Sent to a device when it reports Online, as the portal does.</summary>
    public DeviceSettings? SettingsOnOnline { get; set; }

    /// <summary>Sent to a device after its settings when it reports Online, as the portal does.</summary>
    public UpdatePolicy? UpdatePolicyOnOnline { get; set; }

    /// <summary>Publishes it matches are refused with PUBACK 0x97 Quota exceeded (and still recorded).</summary>
    public Func<Published, bool> Refuse { get; set; } = _ => false;

    /// <summary>Publishes to a device topic as the portal does (a changed update policy, say).</summary>
    public Task SendAsync<T>(string topic, T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        InjectAsync(topic, JsonSerializer.SerializeToUtf8Bytes(message, typeInfo));

    public static async Task<FakePortal> StartAsync(Action<FakePortal>? configure = null)
    {
        var portal = new FakePortal(FreePort());
        configure?.Invoke(portal);
        await portal._server.StartAsync();
        return portal;
    }

    public async Task<Published> WaitForAsync(Func<Published, bool> match)
    {
        var done = new TaskCompletionSource<Published>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = _published.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((match, done));
        }

        return await done.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
    }

    public IReadOnlyList<Published> PublishedTo(string topic)
    {
        lock (_gate)
        {
            return _published.Where(p => p.Topic == topic).ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(new MqttServerStopOptions());
        _server.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task ValidateAsync(ValidatingConnectionEventArgs args)
    {
        if (args.UserName == Topics.BootstrapUserName)
        {
            var key = args.UserProperties?.FirstOrDefault(p => p.Name == Topics.EnrollmentKeyProperty);
            BootstrapKeys.Enqueue(key?.ReadValueAsString());
        }

        var valid = args.UserName == Topics.BootstrapUserName
            ? args.Password == BootstrapPassword && args.ClientId.StartsWith(Topics.EnrollmentClientIdPrefix, StringComparison.Ordinal)
            : Credentials.TryGetValue(args.UserName ?? string.Empty, out var secret) && secret == args.Password && args.ClientId == args.UserName;
        args.ReasonCode = valid ? MqttConnectReasonCode.Success : MqttConnectReasonCode.BadUserNameOrPassword;
        return Task.CompletedTask;
    }

    private async Task OnPublishAsync(InterceptingPublishEventArgs args)
    {
        // Messages the portal itself injects carry no client id; only record what clients sent.
        if (string.IsNullOrEmpty(args.ClientId))
        {
            return;
        }

        var published = new Published(args.ClientId, args.ApplicationMessage.Topic, args.ApplicationMessage.Payload.ToArray());
        if (Refuse(published))
        {
            args.ProcessPublish = false;
            args.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
        }

        Record(published);
        if (Topics.TryParse(published.Topic, out var topic))
        {
            // Answer off the broker's dispatch path, as a real ingest pipeline would.
            _ = Task.Run(() => ReactAsync(topic, published));
        }

        // The broker sends the PUBACK once this handler returns.
        if (AcknowledgementDelay(published) is { Ticks: > 0 } delay)
        {
            await Task.Delay(delay);
        }
    }

    private async Task ReactAsync(ParsedTopic topic, Published published)
    {
        if (topic.Kind == TopicKind.EnrollmentRequest)
        {
            var number = Interlocked.Increment(ref _requests);
            if (Decide(number, published.Read(FleetJson.Default.EnrollmentRequest)) is { } response)
            {
                await InjectAsync(Topics.EnrollmentResponse(topic.Id), JsonSerializer.SerializeToUtf8Bytes(response, FleetJson.Default.EnrollmentResponse));
            }
        }
        else if (topic.Kind == TopicKind.Status && published.Read(FleetJson.Default.DeviceStatus).State == DeviceState.Online)
        {
            if (SettingsOnOnline is { } settings)
            {
                await InjectAsync(Topics.Settings(topic.Id), JsonSerializer.SerializeToUtf8Bytes(settings, FleetJson.Default.DeviceSettings));
            }

            if (UpdatePolicyOnOnline is { } policy)
            {
                await InjectAsync(Topics.UpdatePolicy(topic.Id), JsonSerializer.SerializeToUtf8Bytes(policy, FleetJson.Default.UpdatePolicy));
            }
        }
    }

    private Task InjectAsync(string topic, byte[] payload)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        return _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message), CancellationToken.None);
    }

    private void Record(Published published)
    {
        List<TaskCompletionSource<Published>> completed = [];
        lock (_gate)
        {
            _published.Add(published);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(published))
                {
                    completed.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        completed.ForEach(done => done.TrySetResult(published));
    }
}
