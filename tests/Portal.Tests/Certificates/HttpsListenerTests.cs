using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Certificates;

/// <summary>
/// Kestrel's https address presents the portal's server certificate with its chain (OpenSSL's <c>s_client</c>
/// verifies it with the portal CA and not with another), an admin's certificate replaced on disk reaches new
/// connections without a restart, HTTPS answers carry HSTS and Secure cookies where plain ones do not, a plain
/// listener is named in a warning, and anyone can fetch the CA chain.
/// </summary>
public sealed class HttpsListenerTests : IDisposable
{
    private const string PortalHost = "fleet.test";   // not localhost, which HSTS leaves out

    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-https-").FullName;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task SClient_PortalCa_VerifiesAndAnotherCaFails()
    {
        await using var portal = await PortalInstance.StartAsync(https: true);
        var authority = portal.Services.GetRequiredService<PortalCertificateAuthority>();
        var port = portal.HttpsAddress!.Port;

        var (exit, output) = await SClientAsync(port, authority.ChainPem);
        Assert.True(exit == 0, output);
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);

        var (otherExit, otherOutput) = await SClientAsync(port, OtherAuthority().ChainPem);
        Assert.True(otherExit != 0, "verified with a CA that issued nothing of the portal's: " + otherOutput);
    }

    [Fact]
    public async Task IntermediateCa_RootKeptOffline_SClientVerifiesWithTheRootAlone()
    {
        var (chainFile, keyFile, rootPem) = IntermediateUnderOfflineRoot();
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Tls:CaCertificateFile"] = chainFile,
            ["Fleet:Tls:CaKeyFile"] = keyFile,
        }, https: true);

        // The server sends the intermediate with its certificate: a client holding only the root verifies it.
        var (exit, output) = await SClientAsync(portal.HttpsAddress!.Port, rootPem);
        Assert.True(exit == 0, output);
        Assert.Equal(await File.ReadAllTextAsync(chainFile, Cancel),
            portal.Services.GetRequiredService<PortalCertificateAuthority>().ChainPem);
    }

    [Fact]
    public async Task AdminCertificate_ReplacedOnDisk_NewConnectionsGetTheNewOne()
    {
        var company = OtherAuthority();
        var certificateFile = Path.Combine(_folder, "server.crt");
        var keyFile = Path.Combine(_folder, "server.key");
        var first = await WriteServerFilesAsync(company, certificateFile, keyFile);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Tls:CertificateFile"] = certificateFile,
            ["Fleet:Tls:KeyFile"] = keyFile,
        }, time: time, https: true);

        Assert.Equal(first, await PresentedSerialAsync(portal.HttpsAddress!, company.ChainPem));
        var (exit, output) = await SClientAsync(portal.HttpsAddress!.Port, company.ChainPem);
        Assert.True(exit == 0, output);

        var second = await WriteServerFilesAsync(company, certificateFile, keyFile);
        File.SetLastWriteTimeUtc(certificateFile, DateTime.UtcNow.AddSeconds(5));
        time.Advance(ServerCertificate.CheckInterval);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await PresentedSerialAsync(portal.HttpsAddress!, company.ChainPem));
        await portal.Logs.WaitForAsync(
            e => e.Message.Contains("Server certificate reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Https_HstsAndSecureCookies_PlainHasNeitherAndIsNamedInAWarning()
    {
        await using var portal = await PortalInstance.StartAsync(https: true);
        var chain = portal.Services.GetRequiredService<PortalCertificateAuthority>().ChainPem;

        using (var https = Client(portal.HttpsAddress!, chain))
        {
            using var page = await https.GetAsync(new Uri("/account/login", UriKind.Relative), Cancel);
            Assert.Equal($"max-age={(int)HttpsListeners.HstsMaxAge.TotalSeconds}",
                Assert.Single(page.Headers.GetValues("Strict-Transport-Security")));
            Assert.All(page.Headers.GetValues("Set-Cookie"), c => Assert.Contains("; secure", c,
                StringComparison.OrdinalIgnoreCase));
            using var signIn = await CookieClient.PostSignInFormAsync(https, "admin", PortalInstance.AdminPassword);
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
            Assert.Contains(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("fleet.auth=",
                StringComparison.Ordinal) && c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
        }

        using (var plain = Client(portal.BaseAddress, null))
        {
            using var page = await plain.GetAsync(new Uri("/account/login", UriKind.Relative), Cancel);
            Assert.False(page.Headers.Contains("Strict-Transport-Security"));
            Assert.All(page.Headers.GetValues("Set-Cookie"), c => Assert.DoesNotContain("; secure", c,
                StringComparison.OrdinalIgnoreCase));
            using var signIn = await CookieClient.PostSignInFormAsync(plain, "admin", PortalInstance.AdminPassword);
            Assert.Contains(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("fleet.auth=",
                StringComparison.Ordinal) && !c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
        }

        var plainAddress = portal.BaseAddress.ToString().TrimEnd('/');
        var warning = await portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning
            && e.Message.StartsWith($"Plain HTTP on {plainAddress}:", StringComparison.Ordinal));
        Assert.Contains(portal.HttpsAddress!.ToString().TrimEnd('/'), warning.Message, StringComparison.Ordinal);
        Assert.Single(portal.Logs.Entries, e => e.Message.StartsWith("Plain HTTP on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CaPem_Anonymous_IsTheChainWithTheFingerprintShown()
    {
        await using var portal = await PortalInstance.StartAsync(https: true);
        var authority = portal.Services.GetRequiredService<PortalCertificateAuthority>();
        using var https = Client(portal.HttpsAddress!, authority.ChainPem);

        using var answer = await https.GetAsync(new Uri(CertificateEndpoints.CaPath, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(CertificateEndpoints.PemMediaType, answer.Content.Headers.ContentType?.MediaType);
        var pem = await answer.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(authority.ChainPem, pem);
        var served = new X509Certificate2Collection();
        served.ImportFromPem(pem);
        Assert.Equal(authority.Fingerprint,
            Convert.ToHexStringLower(served[0].GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)));

        // The Configs page shows an Admin the fingerprint and the download link.
        using var signedIn = await CookieClient.SignInAsync(portal.BaseAddress, "admin", PortalInstance.AdminPassword);
        var page = await signedIn.GetStringAsync(new Uri("/configs", UriKind.Relative), Cancel);
        Assert.Contains(authority.Fingerprint, page, StringComparison.Ordinal);
        Assert.Contains("href=\"pki/ca.pem\"", page, StringComparison.Ordinal);
    }

    /// <summary>A client that trusts only <paramref name="chainPem"/> (any name: the test speaks to 127.0.0.1), or
    /// plain HTTP when null; it asks for <see cref="PortalHost"/> and keeps cookies.</summary>
    private static HttpClient Client(Uri address, string? chainPem, Action<X509Certificate2>? presented = null)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.Zero,   // one connection, one handshake per client
        };
        if (chainPem is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                var leaf = new X509Certificate2(certificate);
                presented?.Invoke(leaf);
                return ChainsTo(leaf, chainPem);
            };
        }

        var client = new HttpClient(handler) { BaseAddress = address };
        client.DefaultRequestHeaders.Host = PortalHost;
        return client;
    }

    private static bool ChainsTo(X509Certificate2 leaf, string chainPem)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPem(chainPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    private static async Task<string> PresentedSerialAsync(Uri address, string chainPem)
    {
        X509Certificate2? seen = null;
        using var client = Client(address, chainPem, c => seen = c);
        using var answer = await client.GetAsync(new Uri("/readyz", UriKind.Relative), Cancel);
        Assert.NotNull(seen);
        return seen.SerialNumber;
    }

    private PortalCertificateAuthority OtherAuthority() =>
        new(Options.Create(new TlsOptions()),
            new FleetDataDirectory(
                Directory.CreateDirectory(Path.Combine(_folder, $"other-{Guid.NewGuid():N}")).FullName),
            TimeProvider.System, NullLogger<PortalCertificateAuthority>.Instance);

    /// <summary>An issuing CA (certificate, then its root, in one file; its key in another) under a root whose key
    /// is thrown away, as an admin keeps a root offline; and the root's PEM.</summary>
    private (string ChainFile, string KeyFile, string RootPem) IntermediateUnderOfflineRoot()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Offline root", rootKey, HashAlgorithmName.SHA256);
        AddCaExtensions(rootRequest);
        using var root = rootRequest.CreateSelfSigned(now.AddHours(-1), now.AddYears(10));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Fleet issuing CA", key, HashAlgorithmName.SHA256);
        AddCaExtensions(request);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = request.Create(root, now.AddHours(-1), now.AddYears(5),
            RandomNumberGenerator.GetBytes(16));
        var chainFile = Path.Combine(_folder, "fleet-ca-chain.pem");
        var keyFile = Path.Combine(_folder, "fleet-ca.key");
        File.WriteAllText(chainFile, intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (chainFile, keyFile, root.ExportCertificatePem());

        static void AddCaExtensions(CertificateRequest ca)
        {
            ca.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            ca.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            ca.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(ca.PublicKey, false));
        }
    }

    /// <summary>Writes a server certificate for 127.0.0.1 from <paramref name="issuer"/> (with its chain) and its key,
    /// as an ACME client or a company CA would; returns its serial.</summary>
    private static async Task<string> WriteServerFilesAsync(PortalCertificateAuthority issuer, string certificateFile,
        string keyFile)
    {
        using var issued = issuer.IssueServerCertificate(["127.0.0.1", "localhost"], TimeSpan.FromDays(30));
        await File.WriteAllTextAsync(keyFile, issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), Cancel);
        await File.WriteAllTextAsync(certificateFile, issued.ExportCertificatePem() + "\n" + issuer.ChainPem, Cancel);
        return issued.SerialNumber;
    }

    /// <summary>OpenSSL's TLS client against 127.0.0.1:<paramref name="port"/>, trusting only
    /// <paramref name="chainPem"/> and failing on any verification error.</summary>
    private async Task<(int ExitCode, string Output)> SClientAsync(int port, string chainPem)
    {
        var ca = Path.Combine(_folder, $"ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(ca, chainPem, Cancel);
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", ca,
                     "-verify_return_error", "-servername", "localhost", "-verify_hostname", "localhost", "-brief"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();   // end of input: s_client closes the connection once the handshake is done
        var stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        var stderr = process.StandardError.ReadToEndAsync(Cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
