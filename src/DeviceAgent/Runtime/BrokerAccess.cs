using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// How a device reaches the broker: address, TLS trust, timeouts, a fresh MQTT client per attempt, the clock and the
/// back-off jitter. Holds nothing of one device, so the simulator shares one between all its devices.
/// </summary>
/// <param name="options">Broker address, CA or pin, bootstrap password, timeouts.</param>
/// <param name="clientFactory">Creates a fresh MQTT client per connection attempt, e.g. <c>new
/// MqttClientFactory().CreateMqttClient</c>.</param>
/// <param name="time">Clock for heartbeats, retries and back-off.</param>
/// <param name="random">Jitter source for back-off; <see cref="Random.Shared"/> when null.</param>
/// <param name="logger">Where a refused broker certificate is logged.</param>
public sealed class BrokerAccess(
    AgentOptions options,
    Func<IMqttClient> clientFactory,
    TimeProvider time,
    Random? random = null,
    ILogger? logger = null)
{
    public AgentOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>What the broker's certificate must chain to; null for plain MQTT
    /// (<see cref="AgentOptions.PlainMqtt"/>).
    /// </summary>
    public BrokerTrust? Trust { get; } = BrokerTrust.From(options, logger ?? NullLogger.Instance);

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

    /// <summary>
    /// The options every connection shares: over TLS unless plain MQTT was asked for, presenting
    /// <paramref name="clientCertificate"/> when the device has one.
    /// </summary>
    internal MqttClientOptionsBuilder ClientOptions(X509Certificate2? clientCertificate = null)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(Options.BrokerHost, Options.BrokerPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(Options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(Options.TimeoutSeconds))
            .WithCleanStart(true);
        if (Trust is { } trust)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls()
                    .WithTargetHost(Options.BrokerHost)
                    .WithRevocationMode(X509RevocationMode.NoCheck)   // the portal CA publishes no revocation lists
                    .WithCertificateValidationHandler(e => trust.Validate(e.Certificate, e.Chain, e.SslPolicyErrors));
                if (trust.TrustChain is { } chain)
                {
                    tls.WithTrustChain(chain);   // one chain build, against the portal CA only
                }

                if (clientCertificate is not null)
                {
                    tls.WithClientCertificates([clientCertificate]);
                }
            });
        }

        return builder;
    }

    /// <summary>MQTTnet wraps socket errors; the inner message ("Connection refused") is the useful part.</summary>
    internal static string Describe(Exception exception) =>
        exception.InnerException is null
            ? exception.Message
            : $"{exception.Message} ({exception.GetBaseException().Message})";
}
