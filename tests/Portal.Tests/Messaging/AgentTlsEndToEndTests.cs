using System.Security.Cryptography.X509Certificates;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>
/// The real agent host against the portal's MQTTS port: it enrols with a certificate request, comes back with the
/// certificate, and trusts the broker through the CA file or a pinned fingerprint, never without either.
/// </summary>
public sealed class AgentTlsEndToEndTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("fleet-agent-tls-").FullName;
    private PortalInstance _portal = null!;

    private PortalCertificateAuthority Authority => _portal.Services.GetRequiredService<PortalCertificateAuthority>();

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(
        new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Agent_CaFile_EnrolsWithRequestAndReconnectsWithItsCertificate()
    {
        var ca = Path.Combine(_work, "ca.pem");
        await File.WriteAllTextAsync(ca, Authority.ChainPem);
        var settings = Tls(("Agent:CaCertificateFile", ca));
        var agent = await AgentHost.StartAsync(_portal.MqttTlsPort, settings: settings);

        var device = await ApproveAsync();
        var approved = await _portal.WaitForAsync(
            () => _portal.FindDeviceAsync(d => d.Id == device && d.IsOnline && d.CertificateSerial != null),
            what: "online with a certificate");
        var state = await new FileStateStore(Microsoft.Extensions.Options.Options.Create(
                new Fleet.DeviceAgent.AgentOptions { StateDirectory = agent.StateDirectory }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<FileStateStore>.Instance)
            .LoadAsync(CancellationToken.None);
        using (var held = DeviceCertificate.Load(state!.ClientCertificate, state.ClientKey, DateTimeOffset.UtcNow))
        {
            Assert.Equal(approved.CertificateSerial, held!.SerialNumber);
        }

        await agent.DisposeAsync();
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device && !d.IsOnline), what: "offline");

        // Passwords off for its group: back online on the certificate alone.
        await RefusePasswordsAsync();
        await using var again = await AgentHost.StartAsync(
            _portal.MqttTlsPort, agent.StateDirectory, settings: settings);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device && d.IsOnline),
            what: "online again with the certificate");
    }

    [Fact]
    public async Task Agent_PinnedFingerprint_ConnectsAndKeepsTheChain()
    {
        // Upper case with colons, as a person may copy it.
        var pin = string.Join(':', Convert.FromHexString(Authority.Fingerprint).Select(b => b.ToString("X2",
            System.Globalization.CultureInfo.InvariantCulture)));
        await using var agent = await AgentHost.StartAsync(_portal.MqttTlsPort,
            settings: Tls(("Agent:CaFingerprint", pin)));

        await ApproveAsync();

        // What the broker presented above its own certificate: the issuing CA, now trusted without the pin.
        var saved = new X509Certificate2Collection();
        saved.ImportFromPemFile(Path.Combine(agent.StateDirectory, BrokerTrust.FileName));
        Assert.Equal(Authority.Fingerprint, IssuedCertificate.FingerprintOf(Assert.Single(saved)));
    }

    [Fact]
    public async Task Agent_WrongPin_RefusedWithAClearLogLine()
    {
        var logs = new RecordingLoggerProvider();
        await using var agent = await AgentHost.StartAsync(_portal.MqttTlsPort,
            settings: Tls(("Agent:CaFingerprint", new string('0', 64))),
            services: s => s.AddSingleton<ILoggerProvider>(logs));

        var refusal = await logs.WaitForAsync(e => e.Message.Contains(
            "does not contain the CA pinned by Agent:CaFingerprint", StringComparison.Ordinal));

        Assert.Contains(Authority.Fingerprint, refusal.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(agent.StateDirectory, BrokerTrust.FileName)));
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        Assert.Null(await _portal.FindDeviceAsync(d => d.MachineId == machineId));
    }

    [Fact]
    public async Task Agent_NoCaNoPin_RefusesToStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            AgentHost.StartAsync(_portal.MqttTlsPort, settings: Tls()));

        Assert.Contains(BrokerTrust.NoTrust, failure.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Tls(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Agent:PlainMqtt"] = "false" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Approves the agent once it asks (this machine's machine-id) and waits until it is online.</summary>
    private async Task<Guid> ApproveAsync()
    {
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var pending = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.MachineId == machineId),
            what: "pending device");
        Assert.NotNull(pending.CertificateRequest);
        await _portal.Devices.ApproveAsync(pending.Id, TestActors.Operator);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == pending.Id && d.IsOnline),
            what: "online");
        return pending.Id;
    }

    private async Task RefusePasswordsAsync()
    {
        var updates = _portal.Services.GetRequiredService<UpdateService>();
        var group = (await updates.ListGroupsAsync()).Single(g => g.Id == DeviceGroup.DefaultId);
        var outcome = await updates.UpdateGroupAsync(group.Id,
            new GroupInput(group.Name, group.Description, group.StreamOverride, group.FleetLockSlots,
                PasswordsAllowed: false), TestActors.Operator);
        Assert.True(outcome.Succeeded);
    }
}
