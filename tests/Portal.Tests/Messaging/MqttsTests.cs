using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Health;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>
/// The broker's MQTTS port with device certificates, seen by real clients: <c>mosquitto_pub</c> and
/// <c>openssl s_client</c> with the portal CA, keys made by <c>openssl</c>, and MQTTnet with certificates the test
/// signs itself (another CA, expired, another device's).
/// </summary>
public sealed class MqttsTests(PortalFixture fixture) : IClassFixture<PortalFixture>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("fleet-mqtts-").FullName;

    private PortalInstance Portal => fixture.Portal;

    private PortalCertificateAuthority Authority => Portal.Services.GetRequiredService<PortalCertificateAuthority>();

    private string CaFile
    {
        get
        {
            var path = Path.Combine(_work, "ca.pem");
            File.WriteAllText(path, Authority.ChainPem);
            return path;
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task MosquittoPub_DeviceCertificate_HealthStored()
    {
        var (keyFile, request) = await OpensslKeyAsync("health");
        var response = await ApprovedDevice.ApproveAsync(Portal, "mqtts-health", request);
        Assert.Equal(Authority.ChainPem, response.CaCertificates);
        var certificateFile = Path.Combine(_work, "health.crt");
        await File.WriteAllTextAsync(certificateFile, response.Certificate);
        var id = response.DeviceId!;
        var report = JsonSerializer.Serialize(HealthIngestTests.Report(1), FleetJson.Default.HealthReport);

        var publish = await MosquittoAsync("mosquitto_pub", "--cafile", CaFile, "--cert", certificateFile,
            "--key", keyFile, "-i", id, "-q", "1", "-t", Topics.Health(id), "-m", report);

        Assert.True(publish.ExitCode == 0, publish.Output);
        var deviceId = Guid.ParseExact(id, "N");
        await using var db = await Portal.CreateDbAsync();
        Assert.Single(await db.HealthSamples.Where(s => s.DeviceId == deviceId).ToListAsync());
        using var issued = X509Certificate2.CreateFromPem(response.Certificate);
        var device = await db.Devices.SingleAsync(d => d.Id == deviceId);
        Assert.Equal(
            (issued.SerialNumber, IssuedCertificate.FingerprintOf(issued), issued.NotAfter.ToUniversalTime()),
            (device.CertificateSerial, device.CertificateFingerprint, device.CertificateNotAfter!.Value.UtcDateTime));
        Assert.Equal($"CN={id}", issued.Subject);
    }

    [Fact]
    public async Task MosquittoPub_NoCertificateNoPassword_Refused()
    {
        var (id, _) = await ApprovedDevice.EnrolAsync(Portal, "mqtts-anonymous");

        var publish = await MosquittoAsync("mosquitto_pub", "--cafile", CaFile, "-i", id, "-q", "1",
            "-t", Topics.Heartbeat(id), "-m", "{}");

        Assert.NotEqual(0, publish.ExitCode);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("MQTT connection refused", StringComparison.Ordinal)
            && e.Message.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpensslSClient_PortalCa_Verified()
    {
        var run = await RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{Portal.MqttTlsPort}",
            "-CAfile", CaFile, "-verify_return_error", "-verify_ip", "127.0.0.1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Verify return code: 0 (ok)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_LiveCertificateSession_EndedAndRefusedAtNextConnect()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await ApprovedDevice.ApproveAsync(Portal, "mqtts-revoked", Request(key));
        var id = response.DeviceId!;
        using var certificate = WithKey(response.Certificate!, key);
        var (live, code) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, null, null,
            tls: TestTls.Client(Authority.Chain, certificate));
        await using var _ = live;
        Assert.Equal(MqttClientConnectResultCode.Success, code);

        var clock = Stopwatch.StartNew();
        var revoked = await Portal.Services.GetRequiredService<CredentialService>()
            .RevokeAsync(Guid.ParseExact(id, "N"), TestActors.Operator);
        var (again, refused) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, null, null,
            tls: TestTls.Client(Authority.Chain, certificate));
        var elapsed = clock.Elapsed;
        await using var __ = again;

        Assert.True(revoked.Value, "the live session was ended");
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused);
        await Eventually.TrueAsync(() => !live.IsConnected);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"revocation to refused CONNECT: {elapsed.TotalMilliseconds:0} ms (revoke call included)");
        await using var db = await Portal.CreateDbAsync();
        Assert.Null((await db.Devices.SingleAsync(d => d.Id == Guid.ParseExact(id, "N"))).CertificateSerial);
    }

    [Fact]
    public async Task Connect_CertificateOfAnotherCa_Refused()
    {
        var (id, _) = await ApprovedDevice.EnrolAsync(Portal, "mqtts-foreign");
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Some other CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = caRequest.CreateSelfSigned(
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        await AssertRefusedAsync(
            id, Sign(otherCa, id, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
    }

    [Fact]
    public async Task Connect_ExpiredCertificateOfThePortalCa_Refused()
    {
        var (id, _) = await ApprovedDevice.EnrolAsync(Portal, "mqtts-expired");
        using var ca = PortalCa();

        // The portal made its CA an hour back-dated: room for a certificate that expired before the test.
        var notBefore = new DateTimeOffset(ca.NotBefore.ToUniversalTime(), TimeSpan.Zero).AddMinutes(1);

        await AssertRefusedAsync(id, Sign(ca, id, notBefore, notBefore.AddMinutes(30)));
    }

    [Fact]
    public async Task Connect_PortalCertificateWithAnotherSerial_Refused()
    {
        var (id, _) = await ApprovedDevice.EnrolAsync(Portal, "mqtts-superseded");
        using var ca = PortalCa();
        using var certificate = Sign(ca, id, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, null, null,
            tls: TestTls.Client(Authority.Chain, certificate));
        await using var _ = client;

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, code);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("client certificate revoked or superseded",
            StringComparison.Ordinal) && e.Message.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_AnotherDevicesCertificate_Refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var owner = await ApprovedDevice.ApproveAsync(Portal, "mqtts-owner", Request(key));
        var (other, _) = await ApprovedDevice.EnrolAsync(Portal, "mqtts-other");
        using var certificate = WithKey(owner.Certificate!, key);

        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, other, null, null,
            tls: TestTls.Client(Authority.Chain, certificate));
        await using var _ = client;

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, code);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains($"client certificate is for '{owner.DeviceId}'",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Handshake_NeverFinished_ClosedByTheConnectTimeout()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", Portal.MqttTlsPort);

        // The start of a TLS record (a handshake, TLS 1.0 framing) and nothing more.
        await socket.SendAsync(new byte[] { 0x16, 0x03, 0x01 }, SocketFlags.None);

        var buffer = new byte[64];
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The budget closes with a reset: closed all the same.
        }

        await Portal.Logs.WaitForAsync(e => e.Message.Contains("no CONNECT within", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_PasswordInAGroupThatRefusesPasswords_RefusedCertificateAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await ApprovedDevice.ApproveAsync(Portal, "mqtts-certificate-only", Request(key));
        var id = response.DeviceId!;
        var updates = Portal.Services.GetRequiredService<Fleet.Portal.Features.Updates.UpdateService>();
        Assert.True((await updates.CreateGroupAsync(
            new("certificates-only", null, null, 1, PasswordsAllowed: false), TestActors.Operator)).Succeeded);
        var group = (await updates.ListGroupsAsync()).Single(g => g.Name == "certificates-only");
        Assert.False(group.PasswordsAllowed);
        Assert.True((await updates.AssignDevicesAsync(group.Id, [Guid.ParseExact(id, "N")], TestActors.Operator))
            .Succeeded);
        using var certificate = WithKey(response.Certificate!, key);

        var (byPassword, refused) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, id, response.Secret,
            tls: TestTls.Client(Authority.Chain));
        await using var _ = byPassword;
        var (byCertificate, accepted) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, null, null,
            tls: TestTls.Client(Authority.Chain, certificate));
        await using var __ = byCertificate;

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused);
        Assert.Equal(MqttClientConnectResultCode.Success, accepted);
    }

    [Fact]
    public void Start_PlainListener_Warned() =>
        Assert.Contains(Portal.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains(
                $"Plain MQTT (no TLS) listening on 127.0.0.1:{Portal.MqttPort}", StringComparison.Ordinal));

    private async Task AssertRefusedAsync(string id, X509Certificate2 certificate)
    {
        using (certificate)
        {
            var failure = await Record.ExceptionAsync(async () =>
            {
                var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttTlsPort, id, null, null,
                    tls: TestTls.Client(Authority.Chain, certificate));
                await using var _ = client;
                Assert.NotEqual(MqttClientConnectResultCode.Success, code);
            });
            // Refused in the handshake, before any CONNECT: MQTTnet reports a failed connect.
            Assert.IsType<InvalidOperationException>(failure);
        }

        await Portal.Logs.WaitForAsync(e => e.Message.Contains("TLS handshake failed", StringComparison.Ordinal));
    }

    /// <summary>The portal's own CA, with its key, read from its data folder as an admin could.</summary>
    private X509Certificate2 PortalCa() => X509Certificate2.CreateFromPemFile(
        Path.Combine(Portal.DataDirectory, PortalCertificateAuthority.FolderName,
            PortalCertificateAuthority.CertificateFileName),
        Path.Combine(Portal.DataDirectory, PortalCertificateAuthority.FolderName,
            PortalCertificateAuthority.KeyFileName));

    /// <summary>
    /// A client certificate for <paramref name="id"/> signed by <paramref name="issuer"/>, with its key.
    /// </summary>
    private static X509Certificate2 Sign(X509Certificate2 issuer, string id, DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={id}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(PortalCertificateAuthority.ClientAuthentication)], false));
        using var issued = request.Create(issuer, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        return WithKey(issued.ExportCertificatePem(), key);
    }

    private static string Request(ECDsa key) =>
        new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

    /// <summary>
    /// The certificate with its key, as a TLS client presents it (PKCS#12 round trip: a usable key on Linux).
    /// </summary>
    private static X509Certificate2 WithKey(string certificatePem, ECDsa key)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An ECDSA P-256 key made by openssl (file) and its PKCS#10 request (PEM).</summary>
    private async Task<(string KeyFile, string Request)> OpensslKeyAsync(string name)
    {
        var keyFile = Path.Combine(_work, name + ".key");
        var requestFile = Path.Combine(_work, name + ".csr");
        var run = await RunAsync("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", keyFile, "-subj", "/CN=" + name, "-out", requestFile);
        Assert.True(run.ExitCode == 0, run.Output);
        return (keyFile, await File.ReadAllTextAsync(requestFile));
    }

    private Task<(int ExitCode, string Output)> MosquittoAsync(string tool, params string[] arguments) =>
        RunAsync(tool, ["-h", "127.0.0.1", "-p", Portal.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
            "-V", "mqttv5", .. arguments]);

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();   // s_client ends once stdin does
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
