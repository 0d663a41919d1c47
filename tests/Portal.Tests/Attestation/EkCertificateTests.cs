using System.Security.Cryptography.X509Certificates;
using Fleet.DeviceAgent.Tpm;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>
/// TPMs manufactured by <c>swtpm_setup --create-ek-cert</c> with swtpm's local CA standing in for a TPM maker: one
/// certified by the lab CA, one by another CA, one whose only EK certificate is for its ECC P-256 EK. Built once for
/// the class (about 4 s); each test starts its own portal with the EK certificate policy it needs.
/// </summary>
public sealed class EkCertificateFixture : IAsyncLifetime
{
    public SwtpmLocalCa LabCa { get; private set; } = null!;

    public SwtpmLocalCa OtherCa { get; private set; } = null!;

    /// <summary>RSA EK certificate from <see cref="LabCa"/>.</summary>
    public SoftwareTpm Lab { get; private set; } = null!;

    /// <summary>RSA EK certificate from <see cref="OtherCa"/>.</summary>
    public SoftwareTpm Other { get; private set; } = null!;

    /// <summary>Only an ECC P-256 EK certificate (NV 0x1c0000a), from <see cref="LabCa"/>.</summary>
    public SoftwareTpm EccOnly { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        LabCa = SwtpmLocalCa.Create();
        OtherCa = SwtpmLocalCa.Create();
        Lab = await LabCa.ManufactureAsync();
        Other = await OtherCa.ManufactureAsync();
        EccOnly = await LabCa.ManufactureAsync();
        await LabCa.CertifyEccEkAsync(EccOnly);
        await SwtpmLocalCa.RemoveRsaEkCertificateAsync(EccOnly);
    }

    /// <summary>A folder holding the lab CA's root and intermediate, as an admin would drop them.</summary>
    public string TrustLabCa(string? folder = null)
    {
        folder ??= Directory.CreateTempSubdirectory("fleet-ek-cas-").FullName;
        File.Copy(LabCa.RootCertificate, Path.Combine(folder, "swtpm-localca-root.pem"), overwrite: true);
        File.Copy(LabCa.IssuerCertificate, Path.Combine(folder, "swtpm-localca.crt"), overwrite: true);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var tpm in new[] { Lab, Other, EccOnly })
        {
            if (tpm is not null)
            {
                await tpm.DisposeAsync();
            }
        }

        LabCa?.Dispose();
        OtherCa?.Dispose();
    }
}

/// <summary>
/// EK certificates checked against the trusted TPM manufacturer CAs over the real broker, with the agent's real
/// tpm2-tools adapter on real swtpm answering: trusted enrols, untrusted is refused (Require) or held for a person
/// (Flag), an ECC EK enrols, and a certificate for another key is refused.
/// </summary>
public sealed class EkCertificateTests(EkCertificateFixture tpms) : IClassFixture<EkCertificateFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RsaEk_Require_RefusedUntilTheAdminAddsTheCa_ThenEnrolsAndTokenApproves()
    {
        var folder = Directory.CreateTempSubdirectory("fleet-ek-cas-").FullName;
        var portal = await PortalAsync("Require", folder);
        var token = await TokenPolicyAsync(portal);
        using var adapter = tpms.Lab.Adapter();
        var (client, request, refused) = await OpenAsync(portal, adapter, token);

        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Null(refused.TpmChallenge);
        Assert.Contains("tpm.ekCertificate: issuer CN=swtpm-localca: no TPM manufacturer CA is trusted yet",
            refused.Reason, StringComparison.Ordinal);

        // The admin drops swtpm's local CA (root and intermediate) into the folder: read again, no restart.
        tpms.TrustLabCa(folder);
        var challenged = await client.EnrollAsync(request);
        Assert.NotNull(challenged.TpmChallenge);
        var approved = await ProveAsync(client, request, adapter, challenged);

        Assert.Equal(EnrollmentDecision.Approved, approved.Decision);
        var device = await DeviceAsync(portal, client.ClientId);
        Assert.Equal("CN=swtpm-localca", device.EkCertificateIssuer);
        Assert.Matches("^[0-9A-F]+$", device.EkCertificateSerial);
        Assert.NotNull(device.EkCertificateVerifiedAt);
        Assert.Null(device.EkCertificateProblem);
        var shown = await ShownAsync(portal, device);
        Assert.Equal(
            (device.EkCertificateIssuer, device.EkCertificateSerial, false),
            (shown.Issuer, shown.Serial, shown.HeldForPerson));
    }

    [Fact]
    public async Task AdminUploadsCa_TrustedAtOnce_OperatorMayNot_RemovedAgainRefused()
    {
        var portal = await PortalAsync("Require", Directory.CreateTempSubdirectory("fleet-ek-cas-").FullName);
        var cas = portal.Services.GetRequiredService<EkCaService>();
        var pem = await File.ReadAllTextAsync(tpms.LabCa.RootCertificate, Token)
            + await File.ReadAllTextAsync(tpms.LabCa.IssuerCertificate, Token);
        Assert.Equal(OutcomeKind.Forbidden, (await cas.AddAsync(pem, TestActors.Operator, Token)).Kind);
        var leaf = Convert.ToBase64String(
            await SwtpmLocalCa.ReadNvAsync(tpms.Lab, "0x1c00002"), Base64FormattingOptions.InsertLineBreaks);
        var ekCertificatePem = $"-----BEGIN CERTIFICATE-----\n{leaf}\n-----END CERTIFICATE-----\n";
        Assert.Equal(OutcomeKind.Invalid, (await cas.AddAsync(ekCertificatePem, TestActors.Admin, Token)).Kind);

        var added = await cas.AddAsync(pem, TestActors.Admin, Token);

        Assert.True(added.Succeeded, added.Message);
        Assert.Equal([true, false], added.Value!.Select(r => r.IsRoot));
        Assert.All(cas.List(), r => Assert.True(r.Uploaded));
        using (var browser = await BrowserSession.SignInAsync(portal))
        {
            var page = await browser.Http.GetStringAsync(new Uri("/admin/tpm-cas", UriKind.Relative), Token);
            Assert.Contains("CN=swtpm-localca-rootca", page, StringComparison.Ordinal);
            Assert.Contains("data-testid=\"ek-ca-remove\"", page, StringComparison.Ordinal);
        }

        using var adapter = tpms.Lab.Adapter();
        var (client, request, challenged) = await OpenAsync(portal, adapter);
        Assert.NotNull(challenged.TpmChallenge);
        await using (var db = await portal.CreateDbAsync())
        {
            Assert.Equal(2, await db.AuditEntries.CountAsync(
                a => a.Action == "attestation.ek-ca-add" && a.Outcome == AuditOutcome.Succeeded, Token));
        }

        foreach (var row in added.Value!)
        {
            Assert.Equal(OutcomeKind.Done, (await cas.RemoveAsync(row.Thumbprint, TestActors.Admin, Token)).Kind);
        }

        var refused = await client.EnrollAsync(request);
        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Contains("no TPM manufacturer CA is trusted yet", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RsaEk_OtherMakersCa_Require_RefusedBeforeAnyChallengeAndAudited()
    {
        var portal = await PortalAsync("Require", tpms.TrustLabCa());
        using var adapter = tpms.Other.Adapter();
        var (client, _, refused) = await OpenAsync(portal, adapter);

        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Null(refused.TpmChallenge);
        Assert.StartsWith(
            "TPM attestation refused: tpm.ekCertificate: issuer CN=swtpm-localca: does not chain to a trusted TPM "
                + "manufacturer CA",
            refused.Reason,
            StringComparison.Ordinal);
        await using var db = await portal.CreateDbAsync();
        Assert.False(await db.Devices.AnyAsync(d => d.EnrollmentId == client.ClientId, Token));
        Assert.True(await db.AuditEntries.AnyAsync(
            a => a.Action == "device.tpm-refused" && a.EntityId == client.ClientId, Token));
    }

    [Fact]
    public async Task NoEkCertificate_Require_Refused()
    {
        var portal = await PortalAsync("Require", tpms.TrustLabCa());
        await using var bare = await SoftwareTpm.StartAsync();
        using var adapter = bare.Adapter();
        var (_, _, refused) = await OpenAsync(portal, adapter);

        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Contains("tpm.ekCertificate: the TPM has no EK certificate", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RsaEk_OtherMakersCa_FlagByDefault_HeldForAPersonDespiteToken_ThenApprovedByOne()
    {
        var portal = await PortalAsync(policy: null, tpms.TrustLabCa());
        var token = await TokenPolicyAsync(portal);
        using var adapter = tpms.Other.Adapter();
        var (client, request, challenged) = await OpenAsync(portal, adapter, token);

        var held = await ProveAsync(client, request, adapter, challenged);

        Assert.Equal(EnrollmentDecision.Pending, held.Decision);
        Assert.StartsWith(
            "waiting for a person: the TPM's EK is not vouched for by a trusted TPM manufacturer CA "
                + "(issuer CN=swtpm-localca: does not chain",
            held.Reason,
            StringComparison.Ordinal);
        var device = await DeviceAsync(portal, client.ClientId);
        Assert.Equal(EnrollmentState.Pending, device.State);
        Assert.Null(device.EkCertificateVerifiedAt);
        Assert.Equal("CN=swtpm-localca", device.EkCertificateIssuer);
        var shown = await ShownAsync(portal, device);
        Assert.True(shown.HeldForPerson);
        Assert.Contains("does not chain", shown.Problem, StringComparison.Ordinal);
        await portal.Logs.WaitForAsync(
            e => e.Message.Contains("EK certificate not verified", StringComparison.Ordinal));
        using (var browser = await BrowserSession.SignInAsync(portal))
        {
            var page = await browser.Http.GetStringAsync(new Uri($"/devices/{device.Id}", UriKind.Relative), Token);
            Assert.Contains("data-testid=\"ek-certificate-held\"", page, StringComparison.Ordinal);
            Assert.Contains("does not chain to a trusted TPM manufacturer CA", page, StringComparison.Ordinal);
            Assert.Contains(device.EkCertificateSerial!, page, StringComparison.Ordinal);
        }

        // A person approves it; the next proof gets the credential.
        Assert.Equal(OutcomeKind.Done, (await portal.Devices.ApproveAsync(device.Id, TestActors.Operator, Token)).Kind);
        var approval = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        Assert.Equal(EnrollmentDecision.Approved, approval.Decision);
    }

    [Fact]
    public async Task RsaEk_OtherMakersCa_Flag_EkHashPreRegistered_ApprovedByThatPolicy()
    {
        var portal = await PortalAsync("Flag", tpms.TrustLabCa());
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(true, false), TestActors.Operator, Token);
        using var adapter = tpms.Other.Adapter();
        var ekHash = TpmEvidenceReader.Check(await adapter.GetEvidenceAsync(Token)).Evidence!.EkHash;
        var registered = await enrollment.AddPreRegistrationAsync(
            new PreRegistrationInput(null, ekHash), TestActors.Operator, Token);
        Assert.True(registered.Succeeded, registered.Message);
        var (client, request, challenged) = await OpenAsync(portal, adapter);

        // A person named this very TPM: the missing maker's word does not hold it.
        var approved = await ProveAsync(client, request, adapter, challenged);

        Assert.Equal(EnrollmentDecision.Approved, approved.Decision);
        Assert.NotNull((await DeviceAsync(portal, client.ClientId)).EkCertificateProblem);
    }

    [Fact]
    public async Task EccEk_AgentAuto_LabCaTrusted_Require_Enrols()
    {
        var portal = await PortalAsync("Require", tpms.TrustLabCa());
        var token = await TokenPolicyAsync(portal);
        using var adapter = tpms.EccOnly.Adapter();
        var (client, request, challenged) = await OpenAsync(portal, adapter, token);
        var evidence = TpmEvidenceReader.Check(request.Tpm!).Evidence!;
        Assert.True(evidence.Ek.IsEcc); // Auto: no RSA EK certificate, an ECC one

        var approved = await ProveAsync(client, request, adapter, challenged);

        Assert.Equal(EnrollmentDecision.Approved, approved.Decision);
        var device = await DeviceAsync(portal, client.ClientId);
        Assert.Equal(evidence.EkHash, device.EkHash);
        Assert.NotNull(device.EkCertificateVerifiedAt);
        Assert.Equal("CN=swtpm-localca", device.EkCertificateIssuer);
    }

    [Fact]
    public async Task RealAgent_EccEkConfigured_Require_TokenApprovesAndItComesOnline()
    {
        var portal = await PortalAsync("Require", tpms.TrustLabCa());
        var token = await TokenPolicyAsync(portal);

        await using var agent = await AgentHost.StartAsync(portal.MqttPort, settings: new Dictionary<string, string?>
        {
            ["Agent:Tpm:Enabled"] = "true",
            ["Agent:Tpm:Tcti"] = tpms.EccOnly.Tcti,
            ["Agent:Tpm:EkAlgorithm"] = "Ecc",
            ["Agent:EnrollmentToken"] = token,
        });

        var device = await portal.WaitForAsync(
            () => portal.FindDeviceAsync(d => d.IsOnline && d.EkCertificateVerifiedAt != null),
            what: "the agent's device online, its ECC EK certificate verified");
        Assert.Equal(EnrollmentState.Approved, device.State);
        Assert.Equal("CN=swtpm-localca", device.EkCertificateIssuer);
    }

    [Fact]
    public async Task CertificateOfAnotherKey_Flag_RefusedNamingTheMismatch()
    {
        var portal = await PortalAsync("Flag", tpms.TrustLabCa());
        using var adapter = tpms.Lab.Adapter();
        var genuine = await adapter.GetEvidenceAsync(Token);
        // A certificate the trusted CA made, but for another TPM's key (the ECC-only TPM's P-256 EK).
        var borrowed = await SwtpmLocalCa.ReadNvAsync(tpms.EccOnly, "0x1c0000a");
        var (_, _, refused) = await OpenAsync(
            portal, adapter, evidence: genuine with { EkCertificate = Convert.ToBase64String(borrowed) });

        Assert.Equal(EnrollmentDecision.Invalid, refused.Decision);
        Assert.Contains(
            "tpm.ekCertificate: the EK certificate is for another key (ECC NIST P-256), not the EK presented",
            refused.Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_GenuineSwtpmChain_VerifiesDespiteCriticalTpmSubjectAltName()
    {
        var der = await SwtpmLocalCa.ReadNvAsync(tpms.Lab, "0x1c00002");
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        Assert.True(certificate.Extensions["2.5.29.17"]!.Critical); // TPM manufacturer attributes, critical
        var roots = EkCertificateVerifier.Read(tpms.LabCa.RootCertificate);
        var intermediates = EkCertificateVerifier.Read(tpms.LabCa.IssuerCertificate);
        var ek = TpmPublicKey.From(certificate.PublicKey);

        var now = DateTimeOffset.UtcNow;
        var check = EkCertificateVerifier.Check(der, ek, new EkTrustAnchors(roots, intermediates), now);
        var withoutIntermediate = EkCertificateVerifier.Check(der, ek, new EkTrustAnchors(roots, []), now);

        Assert.True(check.Verified, check.Problem);
        Assert.False(withoutIntermediate.Verified);
    }

    private async Task<PortalInstance> PortalAsync(string? policy, string caFolder)
    {
        var settings = new Dictionary<string, string?> { ["Fleet:Attestation:EkCaDirectory"] = caFolder };
        if (policy is not null)
        {
            settings["Fleet:Attestation:EkCertificatePolicy"] = policy;
        }

        var portal = await PortalInstance.StartAsync(settings);
        _owned.Add(portal);
        return portal;
    }

    private static async Task<string> TokenPolicyAsync(PortalInstance portal)
    {
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator, Token);
        var created = await enrollment.CreateTokenAsync(new CreateTokenInput("lab"), TestActors.Operator, Token);
        return created.Value!.Value;
    }

    private async Task<(TestMqttClient Client, EnrollmentRequest Request, EnrollmentResponse Response)> OpenAsync(
        PortalInstance portal, Tpm2Tools adapter, string? token = null, TpmEvidence? evidence = null)
    {
        var (client, code) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        _owned.Add(client);
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);
        var request = TestMqttClient.Request() with
        {
            Tpm = evidence ?? await adapter.GetEvidenceAsync(Token), EnrollmentToken = token,
        };
        return (client, request, await client.EnrollAsync(request));
    }

    /// <summary>Answers the challenge with the TPM: the request again with the recovered secret.</summary>
    private static async Task<EnrollmentResponse> ProveAsync(
        TestMqttClient client, EnrollmentRequest request, Tpm2Tools adapter, EnrollmentResponse challenged) =>
        await client.EnrollAsync(
            request with { TpmActivation = await adapter.ActivateAsync(challenged.TpmChallenge!, Token) });

    private static async Task<EkCertificateState> ShownAsync(PortalInstance portal, Device device)
    {
        var identities = await portal.Services.GetRequiredService<DeviceIdentityService>().GetAsync(device.Id, Token);
        return identities!.EkCertificate!;
    }

    private static async Task<Device> DeviceAsync(PortalInstance portal, string enrollmentId)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.Devices.SingleAsync(d => d.EnrollmentId == enrollmentId, Token);
    }
}
