using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>MQTT client TLS options for the portal's MQTTS port, as a device uses it (tests and benchmarks).</summary>
public static class TestTls
{
    /// <summary>
    /// Trusting only <paramref name="ca"/> (the portal CA chain), presenting <paramref name="certificate"/> (with its
    /// key) when given.
    /// </summary>
    public static MqttClientTlsOptions Client(X509Certificate2Collection ca, X509Certificate2? certificate = null)
    {
        // The TLS stack builds the one chain, against the portal CA only (as the agent does).
        var builder = new MqttClientTlsOptionsBuilder().UseTls().WithTargetHost("127.0.0.1")
            .WithTrustChain(ca)
            .WithRevocationMode(X509RevocationMode.NoCheck)
            .WithCertificateValidationHandler(e => e.SslPolicyErrors == SslPolicyErrors.None);
        if (certificate is not null)
        {
            builder.WithClientCertificates([certificate]);
        }

        return builder.Build();
    }
}
