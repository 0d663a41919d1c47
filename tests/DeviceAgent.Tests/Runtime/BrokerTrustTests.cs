using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.DeviceAgent.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>
/// What the agent trusts the broker's certificate for: a CA chain ending at a root is handed to the TLS stack, so the
/// one chain the handshake builds decides; a chain without its root is checked by the agent itself; a certificate of
/// another CA is refused either way.
/// </summary>
public sealed class BrokerTrustTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly (X509Certificate2 Root, X509Certificate2 Issuing, ECDsa Key) _ca = Ca("Fleet");
    private readonly (X509Certificate2 Root, X509Certificate2 Issuing, ECDsa Key) _other = Ca("Other");

    public void Dispose()
    {
        _state.Dispose();
        _ca.Key.Dispose();
        _other.Key.Dispose();
    }

    [Fact]
    public void ChainWithItsRoot_IsTheTrustChain_TheHandshakesChainDecides()
    {
        var trust = From(_ca.Issuing.ExportCertificatePem() + "\n" + _ca.Root.ExportCertificatePem());
        Assert.Equal(2, trust.TrustChain!.Count);

        using var own = Server(_ca);
        using var foreign = Server(_other);
        Assert.True(Handshake(trust, own));
        Assert.False(Handshake(trust, foreign));
    }

    [Fact]
    public void ChainWithoutItsRoot_IsCheckedByTheAgent()
    {
        var trust = From(_ca.Issuing.ExportCertificatePem());
        Assert.Null(trust.TrustChain);

        using var own = Server(_ca);
        using var foreign = Server(_other);
        Assert.True(trust.Validate(own, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trust.Validate(foreign, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    // What MQTTnet's channel does with a trust chain: one chain under a custom-root policy, then the callback.
    private static bool Handshake(BrokerTrust trust, X509Certificate2 presented)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(trust.TrustChain!);
        using var chain = new X509Chain { ChainPolicy = policy };
        var errors = chain.Build(presented) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
        return trust.Validate(presented, chain, errors);
    }

    private BrokerTrust From(string caPem)
    {
        _state.Write("ca-file.pem", caPem);
        var options = new AgentOptions
        {
            StateDirectory = _state.Path,
            CaCertificateFile = _state.Combine("ca-file.pem"),
        };
        return BrokerTrust.From(options, NullLogger.Instance)!;
    }

    private static (X509Certificate2 Root, X509Certificate2 Issuing, ECDsa Key) Ca(string name)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={name} root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name} issuing CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var issuing = request.Create(root, now.AddDays(-1), now.AddYears(4), [1, 2, 3]);
        return (X509CertificateLoader.LoadCertificate(root.RawData), issuing, key);
    }

    private static X509Certificate2 Server((X509Certificate2 Root, X509Certificate2 Issuing, ECDsa Key) ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=broker", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issuer = ca.Issuing.CopyWithPrivateKey(ca.Key);
        var now = DateTimeOffset.UtcNow;
        return request.Create(issuer, now.AddHours(-1), now.AddDays(30), [4, 5, 6]);
    }
}
