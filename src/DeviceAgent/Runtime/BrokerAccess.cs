using MQTTnet;
using MQTTnet.Formatter;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// How a device reaches the broker: address, timeouts, a fresh MQTT client per attempt, the clock and the back-off
/// jitter. Holds nothing of one device, so the simulator shares one between all its devices.
/// </summary>
/// <param name="options">Broker address, bootstrap password, timeouts.</param>
/// <param name="clientFactory">Creates a fresh MQTT client per connection attempt, e.g. <c>new
/// MqttClientFactory().CreateMqttClient</c>.</param>
/// <param name="time">Clock for heartbeats, retries and back-off.</param>
/// <param name="random">Jitter source for back-off; <see cref="Random.Shared"/> when null.</param>
public sealed class BrokerAccess(
    AgentOptions options, Func<IMqttClient> clientFactory, TimeProvider time, Random? random = null)
{
    public AgentOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public TimeProvider Time { get; } = time ?? throw new ArgumentNullException(nameof(time));

    private readonly Func<IMqttClient> _clientFactory =
        clientFactory ?? throw new ArgumentNullException(nameof(clientFactory));

    private readonly Random _random = random ?? Random.Shared;

    internal ReconnectBackoff NewBackoff() => ReconnectBackoff.Default(_random);

    internal MqttSession NewSession() =>
        new(
            _clientFactory(),
            Time,
            TimeSpan.FromSeconds(Options.TimeoutSeconds),
            TimeSpan.FromSeconds(Options.AcknowledgementTimeoutSeconds));

    internal MqttClientOptionsBuilder ClientOptions() => new MqttClientOptionsBuilder()
        .WithTcpServer(Options.BrokerHost, Options.BrokerPort)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithKeepAlivePeriod(TimeSpan.FromSeconds(Options.KeepAliveSeconds))
        .WithTimeout(TimeSpan.FromSeconds(Options.TimeoutSeconds))
        .WithCleanStart(true);

    /// <summary>MQTTnet wraps socket errors; the inner message ("Connection refused") is the useful part.</summary>
    internal static string Describe(Exception exception) =>
        exception.InnerException is null
            ? exception.Message
            : $"{exception.Message} ({exception.GetBaseException().Message})";
}
