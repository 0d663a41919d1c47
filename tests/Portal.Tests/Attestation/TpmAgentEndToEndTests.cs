using Fleet.Portal.Data;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>
/// The real agent host with a real software TPM against the real portal: a TPM device keeps its identity
/// through a NIC swap and a reinstall (which revokes its credential until a person approves it again);
/// another TPM presenting the same MAC is flagged, not merged.
/// </summary>
public sealed class TpmAgentEndToEndTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;
    private SoftwareTpm _tpm = null!;

    public async ValueTask InitializeAsync()
    {
        _tpm = await SoftwareTpm.StartAsync();
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _tpm.DisposeAsync();
        await _portal.DisposeAsync();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TpmDevice_NicSwappedAndReinstalled_SameDeviceApprovedAgain_OtherTpmWithSameMac_Conflict()
    {
        const string firstMac = "52:54:00:10:00:01";
        const string swappedMac = "52:54:00:10:00:02";
        var host = FakeHost("0123456789abcdef0123456789abcdef", "edge-tpm", firstMac);

        // 1. Enrol with the TPM: proof, pending, approval, online.
        var agent = await StartAgentAsync(host, _tpm);
        var device = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Hostname == "edge-tpm" && d.EkHash != null), what: "TPM-proven pending device");
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator, Token);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline), what: "online");
        await agent.DisposeAsync();

        // 2. The NIC is swapped and the OS reinstalled (new agent state, so a new enrolment id and a new AK): the
        //    TPM's EK says it is the same device, so the record follows it, but the TPM does not vouch for what now
        //    runs on it: the credential is revoked and a person approves it again (docs/operations.md).
        File.WriteAllText(Path.Combine(host, "sys/class/net/eth0/address"), swappedMac + "\n");
        await using (var reinstalled = await StartAgentAsync(host, _tpm))
        {
            var waiting = await _portal.WaitForAsync(
                () => _portal.FindDeviceAsync(d =>
                    d.Id == device.Id && d.EnrollmentId != device.EnrollmentId && d.State == EnrollmentState.Pending),
                what: "same device, pending again under its new enrolment id");
            Assert.Null(waiting.CredentialHash);
            Assert.Null(waiting.PendingCredentialHash);
            Assert.NotNull(waiting.DecidedAt);
            await using (var db = await _portal.CreateDbAsync())
            {
                Assert.True(await db.AuditEntries.AnyAsync(
                    a => a.Action == "device.tpm-reenrol" && a.After!.Contains("credential revoked"), Token));
            }

            var approval = await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator, Token);
            Assert.Equal(OutcomeKind.Done, approval.Kind);
            await _portal.WaitForAsync(
                () => _portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline),
                what: "online again once a person approved it");
        }

        await using (var db = await _portal.CreateDbAsync())
        {
            Assert.Single(await db.Devices.Where(d => d.EkHash == device.EkHash).ToListAsync(Token));
            var macs = await db.DeviceIdentifiers.Where(i => i.DeviceId == device.Id && i.Kind == IdentifierKind.Mac).Select(i => i.Value).ToListAsync(Token);
            Assert.Equal([firstMac, swappedMac], macs.Order());
            Assert.Equal(EnrollmentState.Approved, (await db.Devices.SingleAsync(d => d.Id == device.Id, Token)).State);
        }

        // 3. Another TPM (another machine) presents the swapped MAC: flagged for a person, nothing merged.
        await using var otherTpm = await SoftwareTpm.StartAsync();
        var otherHost = FakeHost("fedcba9876543210fedcba9876543210", "edge-clone", swappedMac);
        await using (var clone = await StartAgentAsync(otherHost, otherTpm))
        {
            var flagged = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Hostname == "edge-clone" && d.Conflict != null), what: "conflict flagged on the newcomer");
            Assert.StartsWith("identity conflict", flagged.Conflict, StringComparison.Ordinal);
            Assert.NotEqual(device.Id, flagged.Id);
            Assert.Equal(EnrollmentState.Pending, flagged.State);
            Assert.NotEqual(device.EkHash, flagged.EkHash);

            var conflicts = await _portal.Services.GetRequiredService<DeviceIdentityService>().OpenConflictsAsync(Token);
            var conflict = Assert.Single(conflicts);
            Assert.Equal((flagged.Id, device.Id, IdentifierKind.Mac, swappedMac), (conflict.DeviceId, conflict.OtherDeviceId, conflict.Kind, conflict.Value));
            Assert.Contains("EK", conflict.Detail, StringComparison.Ordinal);
            await _portal.Logs.WaitForAsync(e => e.Message.Contains("Identity conflict", StringComparison.Ordinal));

            // An Operator resolves it (audited); the flag goes, no device was merged.
            var identities = _portal.Services.GetRequiredService<DeviceIdentityService>();
            Assert.Equal(
                OutcomeKind.Forbidden,
                (await identities.ResolveAsync(conflict.Id, "checked", TestActors.HelpDesk, Token)).Kind);
            var resolved = await identities.ResolveAsync(
                conflict.Id, "NIC moved to the clone; different hardware", TestActors.Operator, Token);
            Assert.Equal(OutcomeKind.Done, resolved.Kind);
        }

        await using var after = await _portal.CreateDbAsync();
        Assert.Empty(await _portal.Services.GetRequiredService<DeviceIdentityService>().OpenConflictsAsync(Token));
        Assert.Equal(TestActors.Operator.Name, (await after.IdentityConflicts.SingleAsync(Token)).ResolvedBy);
        Assert.Equal(2, await after.Devices.CountAsync(Token));
        Assert.True(await after.AuditEntries.AnyAsync(a => a.Action == "device.conflict-resolve", Token));
    }

    private async Task<AgentHost> StartAgentAsync(string hostRoot, SoftwareTpm tpm) =>
        await AgentHost.StartAsync(
            _portal.MqttPort,
            hostRoot: hostRoot,
            settings: new Dictionary<string, string?> { ["Agent:Tpm:Enabled"] = "true", ["Agent:Tpm:Tcti"] = tpm.Tcti });

    /// <summary>A host tree with one physical NIC, read by the agent's real identity collector.</summary>
    private static string FakeHost(string machineId, string hostname, string mac)
    {
        var root = Directory.CreateTempSubdirectory("fleet-host-").FullName;
        void Write(string path, string text)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }

        Write("etc/machine-id", machineId + "\n");
        Write("proc/sys/kernel/hostname", hostname + "\n");
        Write("proc/sys/kernel/osrelease", "6.15.9-201.fc42.x86_64\n");
        Write("etc/os-release", "ID=fedora\nVERSION_ID=42\nVARIANT_ID=coreos\nPRETTY_NAME=\"Fedora CoreOS 42\"\n");
        Write("sys/class/net/eth0/address", mac + "\n");
        Directory.CreateDirectory(Path.Combine(root, "sys/class/net/eth0/device"));
        return root;
    }
}
