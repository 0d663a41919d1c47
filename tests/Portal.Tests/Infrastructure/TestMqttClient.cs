using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>A plain MQTT client speaking Fleet's topics by hand, for protocol-level tests (good and bad input).</summary>
public sealed class TestMqttClient : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly Channel<MqttApplicationMessage> _received = Channel.CreateUnbounded<MqttApplicationMessage>();

    private TestMqttClient(string clientId) => ClientId = clientId;

    public string ClientId { get; }

    public bool IsConnected => _client.IsConnected;

    public static string NewEnrollmentId() => Topics.EnrollmentClientIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A bootstrap connection; <paramref name="enrollmentKey"/> goes into a CONNECT user property.</summary>
    public static Task<(TestMqttClient Client, MqttClientConnectResultCode Code)> ConnectBootstrapAsync(
        int port, string? enrollmentId = null, string password = "", string? enrollmentKey = null) =>
        ConnectAsync(port, enrollmentId ?? NewEnrollmentId(), Topics.BootstrapUserName, password, enrollmentKey);

    /// <param name="tls">
    /// TLS options for the broker's MQTTS port (a client certificate, the CA); none: plain MQTT.
    /// </param>
    public static async Task<(TestMqttClient Client, MqttClientConnectResultCode Code)> ConnectAsync(
        int port, string clientId, string? user, string? password, string? enrollmentKey = null,
        MqttClientTlsOptions? tls = null)
    {
        var client = new TestMqttClient(clientId);
        client._client.ApplicationMessageReceivedAsync += e =>
        {
            client._received.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (user is not null)
        {
            builder.WithCredentials(user, password);
        }

        if (tls is not null)
        {
            builder.WithTlsOptions(tls);
        }

        if (enrollmentKey is not null)
        {
            var value = System.Text.Encoding.UTF8.GetBytes(enrollmentKey).AsMemory();
            builder.WithUserProperty(Topics.EnrollmentKeyProperty, value);
        }

        var options = builder.Build();
        try
        {
            var result = await client._client.ConnectAsync(options);
            return (client, result.ResultCode);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            throw new InvalidOperationException("connect failed: " + ex.Message, ex);
        }
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return result.Items.Single().ResultCode;
    }

    public async Task<MqttClientPublishReasonCode> PublishAsync(string topic, byte[] payload)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var result = await _client.PublishAsync(message);
        return result.ReasonCode;
    }

    public Task<MqttClientPublishReasonCode> PublishAsync<T>(string topic, T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        PublishAsync(topic, JsonSerializer.SerializeToUtf8Bytes(message, type));

    /// <summary>Subscribes to this enrolment's response topic, sends the payload and returns the portal's answer.</summary>
    public async Task<EnrollmentResponse> EnrollAsync(byte[] payload)
    {
        if (await SubscribeAsync(Topics.EnrollmentResponse(ClientId)) > MqttClientSubscribeResultCode.GrantedQoS2)
        {
            throw new InvalidOperationException("subscription to own response topic refused");
        }

        await PublishAsync(Topics.EnrollmentRequest(ClientId), payload);
        var message = await ReceiveAsync();
        return JsonSerializer.Deserialize(message.Payload.ToArray(), FleetJson.Default.EnrollmentResponse)!;
    }

    public Task<EnrollmentResponse> EnrollAsync(EnrollmentRequest request) =>
        EnrollAsync(JsonSerializer.SerializeToUtf8Bytes(request, FleetJson.Default.EnrollmentRequest));

    public async Task<MqttApplicationMessage> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        return await _received.Reader.ReadAsync(cts.Token);
    }

    public bool TryReceive(out MqttApplicationMessage? message) => _received.Reader.TryRead(out message);

    /// <summary>Receives the next message and reads it as <typeparamref name="T"/>.</summary>
    public async Task<T> ReceiveAsync<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize((await ReceiveAsync()).Payload.ToArray(), type)!;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync();
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // The broker closed the connection first (revoked or rotated credential, portal stopping).
            }
        }

        _client.Dispose();
    }

    public static EnrollmentRequest Request(string? machineId = null, string hostname = "test-host", params string[] macs)
    {
        macs = macs.Length == 0 ? [RandomMac()] : macs;
        return new EnrollmentRequest(
            Protocol.Version,
            machineId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            hostname,
            "x86_64",
            "6.11.0-200.fc41.x86_64",
            new Dictionary<string, string> { ["ID"] = "fedora", ["VERSION_ID"] = "41", ["VARIANT_ID"] = "coreos", ["PRETTY_NAME"] = "Fedora CoreOS 41" },
            macs.Select((m, i) => new NetworkInterfaceInfo($"eth{i}", m, i == 0)).ToList(),
            "test",
            DateTimeOffset.UtcNow,
            EnrollmentKey: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
    }

    public static string RandomMac()
    {
        var bytes = RandomNumberGenerator.GetBytes(6);
        bytes[0] = (byte)((bytes[0] & 0xFC) | 0x02);
        return MacAddress.Format(bytes);
    }
}
