using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Updates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Certificates;

/// <summary>
/// The portal CA: made once and kept, issuing server and device certificates that OpenSSL verifies, refusing bad
/// requests, and an admin's intermediate CA with its root kept offline.
/// </summary>
public sealed class PortalCertificateAuthorityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-pki-").FullName;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FirstStart_MakesAPrivateCa_LaterStartsKeepIt()
    {
        var first = Authority();
        var key = Path.Combine(_folder, PortalCertificateAuthority.FolderName, PortalCertificateAuthority.KeyFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(key)!));

        var second = Authority();
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.Equal(64, first.Fingerprint.Length);
        Assert.True(first.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    [Fact]
    public async Task DeviceCertificate_ForTheDevicesOwnKey_VerifiesWithOpenSsl()
    {
        var authority = Authority();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = new CertificateRequest("CN=whatever the device says", key, HashAlgorithmName.SHA256)
            .CreateSigningRequestPem();
        Assert.True(PortalCertificateAuthority.TryReadRequest(pem, out var request, out var error), error);

        using var certificate = authority.IssueDeviceCertificate(request!, "0123abcd", TimeSpan.FromDays(30));
        Assert.Equal("CN=0123abcd", certificate.Subject);
        Assert.False(certificate.HasPrivateKey);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(authority.Issued(certificate));

        var (exit, output) = await OpenSslVerifyAsync(authority.ChainPem, certificate, "sslclient");
        Assert.True(exit == 0, output);
        (exit, output) = await OpenSslVerifyAsync(authority.ChainPem, certificate, "sslserver");
        Assert.True(exit != 0, "a device certificate must not serve TLS: " + output);
    }

    [Fact]
    public async Task ServerCertificate_CoversThePortalsNames_VerifiesWithOpenSsl()
    {
        var authority = Authority();
        using var server = new ServerCertificate(
            Options.Create(new TlsOptions { ServerNames = ["fleet.example.org", "192.0.2.7"] }),
            Options.Create(new UpdateOptions { PublicBaseUrl = "https://portal.example.org:8443/" }),
            authority, TimeProvider.System, NullLogger<ServerCertificate>.Instance);
        Assert.Equal("portal.example.org", server.Names[0]);
        Assert.True(server.Certificate.HasPrivateKey);

        foreach (var name in new[] { "portal.example.org", "fleet.example.org", "localhost" })
        {
            var (exit, output) = await OpenSslVerifyAsync(authority.ChainPem, server.Certificate, "sslserver",
                "-verify_hostname", name);
            Assert.True(exit == 0, output);
        }

        var (ipExit, ipOutput) = await OpenSslVerifyAsync(authority.ChainPem, server.Certificate, "sslserver",
            "-verify_ip", "192.0.2.7");
        Assert.True(ipExit == 0, ipOutput);
        var (otherExit, _) = await OpenSslVerifyAsync(authority.ChainPem, server.Certificate, "sslserver",
            "-verify_hostname", "other.example.org");
        Assert.NotEqual(0, otherExit);
    }

    [Fact]
    public void ServerCertificate_IssuedByThePortal_IsRenewedAfterTwoThirdsOfItsLife()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var server = new ServerCertificate(Options.Create(new TlsOptions { ServerCertificateDays = 90 }),
            Options.Create(new UpdateOptions()), Authority(time), time, NullLogger<ServerCertificate>.Instance);
        var first = server.Certificate.SerialNumber;
        time.Advance(TimeSpan.FromDays(59));
        Assert.Equal(first, server.Certificate.SerialNumber);
        time.Advance(TimeSpan.FromDays(2));
        Assert.NotEqual(first, server.Certificate.SerialNumber);
    }

    [Fact]
    public void CertificateRequests_BadOnes_AreRefusedWithTheirReason()
    {
        Assert.False(PortalCertificateAuthority.TryReadRequest("not pem", out _, out var error));
        Assert.Contains("PKCS#10", error, StringComparison.Ordinal);
        Assert.False(PortalCertificateAuthority.TryReadRequest(null, out _, out error));
        Assert.Contains("required", error, StringComparison.Ordinal);

        using var weak = RSA.Create(1024);
        var weakPem = new CertificateRequest("CN=x", weak, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSigningRequestPem();
        Assert.False(PortalCertificateAuthority.TryReadRequest(weakPem, out _, out error));
        Assert.Contains("1024 bits", error, StringComparison.Ordinal);

        // A request signed by another key than the one it carries: whoever sent it does not hold the key.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256);
        var forged = request.CreateSigningRequest(X509SignatureGenerator.CreateForECDsa(other));
        Assert.False(PortalCertificateAuthority.TryReadRequest(PemEncoding.WriteString("CERTIFICATE REQUEST", forged),
            out _, out error));
    }

    [Fact]
    public void Certificates_FromAnotherCaOrExpired_AreNotIssuedByThisOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var authority = Authority(time);
        using var otherFolder = new TemporaryFolder();
        var other = new PortalCertificateAuthority(Options.Create(new TlsOptions()),
            new FleetDataDirectory(otherFolder.Path), time, NullLogger<PortalCertificateAuthority>.Instance);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256);

        using var foreign = other.IssueDeviceCertificate(request, "dev", TimeSpan.FromDays(10));
        Assert.False(authority.Issued(foreign));
        Assert.False(Handshake(foreign));
        Assert.False(authority.Issued(foreign, null, SslPolicyErrors.None));   // no chain: checked afresh
        using var own = authority.IssueDeviceCertificate(request, "dev", TimeSpan.FromDays(10));
        Assert.True(authority.Issued(own));
        Assert.True(Handshake(own));
        time.Advance(TimeSpan.FromDays(11));
        Assert.False(authority.Issued(own));
        Assert.False(Handshake(own));

        // What a TLS listener does: one chain under the authority's policy, then the validation callback.
        bool Handshake(X509Certificate2 presented)
        {
            using var chain = new X509Chain { ChainPolicy = authority.ClientChainPolicy()! };
            var errors = chain.Build(presented) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
            return authority.Issued(presented, chain, errors);
        }
    }

    [Fact]
    public async Task AdminIntermediateCa_RootKeptOffline_IssuesCertificatesThatChainToTheRoot()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Company root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1),
            DateTimeOffset.UtcNow.AddYears(5));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Company fleet CA", intermediateKey,
            HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var intermediate = intermediateRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1),
            DateTimeOffset.UtcNow.AddYears(4), [1, 2, 3, 4]);
        var chainFile = Path.Combine(_folder, "fleet-ca.pem");
        var keyFile = Path.Combine(_folder, "fleet-ca.key");
        await File.WriteAllTextAsync(chainFile,
            intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem(), Cancel);
        await File.WriteAllTextAsync(keyFile, intermediateKey.ExportPkcs8PrivateKeyPem(), Cancel);

        var authority = new PortalCertificateAuthority(
            Options.Create(new TlsOptions { CaCertificateFile = chainFile, CaKeyFile = keyFile }),
            new FleetDataDirectory(_folder), TimeProvider.System, NullLogger<PortalCertificateAuthority>.Instance);
        Assert.Equal(intermediate.Thumbprint, authority.Certificate.Thumbprint);
        Assert.Equal(2, authority.Chain.Count);
        Assert.False(Directory.Exists(Path.Combine(_folder, PortalCertificateAuthority.FolderName)));

        using var deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var device = authority.IssueDeviceCertificate(
            new CertificateRequest("CN=x", deviceKey, HashAlgorithmName.SHA256), "dev", TimeSpan.FromDays(10));
        Assert.True(authority.Issued(device));
        Assert.NotNull(authority.ClientChainPolicy());   // the root came with the chain
        var (exit, output) = await OpenSslVerifyAsync(authority.ChainPem, device, "sslclient");
        Assert.True(exit == 0, output);

        // Without its root the chain cannot anchor a handshake's chain: the authority checks on its own.
        await File.WriteAllTextAsync(chainFile, intermediate.ExportCertificatePem(), Cancel);
        var rootless = new PortalCertificateAuthority(
            Options.Create(new TlsOptions { CaCertificateFile = chainFile, CaKeyFile = keyFile }),
            new FleetDataDirectory(_folder), TimeProvider.System, NullLogger<PortalCertificateAuthority>.Instance);
        Assert.Null(rootless.ClientChainPolicy());
        Assert.True(rootless.Issued(device, null, SslPolicyErrors.RemoteCertificateChainErrors));

        // A key that is not the CA certificate's own is refused at start, with the option named.
        using var wrongKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(keyFile, wrongKey.ExportPkcs8PrivateKeyPem(), Cancel);
        var refused = Assert.Throws<StartupRefusedException>(() => new PortalCertificateAuthority(
            Options.Create(new TlsOptions { CaCertificateFile = chainFile, CaKeyFile = keyFile }),
            new FleetDataDirectory(_folder), TimeProvider.System, NullLogger<PortalCertificateAuthority>.Instance));
        Assert.Contains("Fleet:Tls:CaCertificateFile", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminServerCertificate_ReplacedOnDisk_IsPresentedWithoutARestart_BrokenFilesKeepTheOldOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var authority = Authority(time);
        var certificateFile = Path.Combine(_folder, "server.pem");
        var keyFile = Path.Combine(_folder, "server.key");
        await WriteServerFilesAsync(authority, "first.example.org", certificateFile, keyFile);
        using var server = new ServerCertificate(
            Options.Create(new TlsOptions { CertificateFile = certificateFile, KeyFile = keyFile }),
            Options.Create(new UpdateOptions()), authority, time, NullLogger<ServerCertificate>.Instance);
        Assert.Equal("CN=first.example.org", server.Certificate.Subject);

        await WriteServerFilesAsync(authority, "second.example.org", certificateFile, keyFile);
        File.SetLastWriteTimeUtc(certificateFile, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal("CN=first.example.org", server.Certificate.Subject);   // not looked at before the interval
        time.Advance(ServerCertificate.CheckInterval);
        Assert.Equal("CN=second.example.org", server.Certificate.Subject);
        Assert.True(server.Context.TargetCertificate.HasPrivateKey);

        await File.WriteAllTextAsync(keyFile, "-----BEGIN PRIVATE KEY-----\nhalf", Cancel);
        time.Advance(ServerCertificate.CheckInterval);
        Assert.Equal("CN=second.example.org", server.Certificate.Subject);
    }

    private static async Task WriteServerFilesAsync(PortalCertificateAuthority authority, string name,
        string certificateFile, string keyFile)
    {
        using var issued = authority.IssueServerCertificate([name], TimeSpan.FromDays(30));
        await File.WriteAllTextAsync(certificateFile, issued.ExportCertificatePem() + "\n" + authority.ChainPem,
            Cancel);
        await File.WriteAllTextAsync(keyFile, issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), Cancel);
    }

    private PortalCertificateAuthority Authority(TimeProvider? time = null) =>
        new(Options.Create(new TlsOptions()), new FleetDataDirectory(_folder), time ?? TimeProvider.System,
            NullLogger<PortalCertificateAuthority>.Instance);

    private async Task<(int ExitCode, string Output)> OpenSslVerifyAsync(string chainPem, X509Certificate2 certificate,
        string purpose, params string[] extra)
    {
        var ca = Path.Combine(_folder, $"ca-{Guid.NewGuid():N}.pem");
        var leaf = Path.Combine(_folder, $"leaf-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(ca, chainPem, Cancel);
        await File.WriteAllTextAsync(leaf, certificate.ExportCertificatePem(), Cancel);
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["verify", "-CAfile", ca, "-purpose", purpose, .. extra, leaf])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Cancel)
            + await process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        return (process.ExitCode, output);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("fleet-pki-other-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
