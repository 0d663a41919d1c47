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
        var builder = new MqttClientTlsOptionsBuilder().UseTls().WithTargetHost("127.0.0.1")
            .WithCertificateValidationHandler(e =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                chain.ChainPolicy.ExtraStore.AddRange(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var presented = new X509Certificate2(e.Certificate);
                return e.SslPolicyErrors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateChainErrors
                    && chain.Build(presented);
            });
        if (certificate is not null)
        {
            builder.WithClientCertificates([certificate]);
        }

        return builder.Build();
    }
}
