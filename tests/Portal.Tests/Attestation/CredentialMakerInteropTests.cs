using System.Buffers.Binary;
using Fleet.DeviceAgent.Tpm;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>
/// The portal's software MakeCredential against a real software TPM (swtpm) driven by the agent's real
/// tpm2-tools adapter: only the TPM that owns the EK recovers the secret.
/// </summary>
public sealed class CredentialMakerInteropTests : IAsyncLifetime
{
    private SoftwareTpm _tpm = null!;

    public async ValueTask InitializeAsync() => _tpm = await SoftwareTpm.StartAsync();

    public async ValueTask DisposeAsync() => await _tpm.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MakeCredential_RealTpmActivates_RecoversTheSecret()
    {
        using var adapter = _tpm.Adapter();
        var evidence = await adapter.GetEvidenceAsync(TestContext.Current.CancellationToken);
        var (checkedEvidence, errors) = TpmEvidenceReader.Check(evidence);
        Assert.Empty(errors);
        Assert.Equal(evidence.AkName, checkedEvidence!.AkNameHex);
        Assert.Matches("^[0-9a-f]{64}$", checkedEvidence.EkHash);

        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var (idObject, encryptedSecret) =
            CredentialMaker.Make(checkedEvidence.Ek, checkedEvidence.AkName, secret);
        var activation = await adapter.ActivateAsync(new TpmChallenge("c1", Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), DateTimeOffset.UtcNow), TestContext.Current.CancellationToken);

        Assert.Equal("c1", activation.ChallengeId);
        Assert.Equal(secret, Convert.FromBase64String(activation.Secret));
    }

    [Fact]
    public async Task MakeCredential_EccEk_RealTpmActivatesThroughEcdh()
    {
        using var adapter = _tpm.Adapter(ek: TpmEkAlgorithm.Ecc);
        var evidence = await adapter.GetEvidenceAsync(Token);
        var (checkedEvidence, errors) = TpmEvidenceReader.Check(evidence);
        Assert.Empty(errors);
        Assert.True(checkedEvidence!.Ek.IsEcc);
        using var rsaAdapter = _tpm.Adapter();
        var rsa = TpmEvidenceReader.Check(await rsaAdapter.GetEvidenceAsync(Token)).Evidence!;
        Assert.NotEqual(rsa.EkHash, checkedEvidence.EkHash);

        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var (idObject, encryptedSecret) = CredentialMaker.Make(checkedEvidence.Ek, checkedEvidence.AkName, secret);
        var challenge = new TpmChallenge(
            "e1", Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), DateTimeOffset.UtcNow);
        var activation = await adapter.ActivateAsync(challenge, Token);

        Assert.Equal(secret, Convert.FromBase64String(activation.Secret));
        Assert.Equal(2 + 2 + 32 + 2 + 32, encryptedSecret.Length); // TPM2B { TPMS_ECC_POINT { x, y } }
    }

    [Fact]
    public async Task MakeCredential_EccEkOfAnotherTpm_TpmRefuses()
    {
        await using var other = await SoftwareTpm.StartAsync();
        using var mine = _tpm.Adapter(ek: TpmEkAlgorithm.Ecc);
        using var theirs = other.Adapter(ek: TpmEkAlgorithm.Ecc);
        var myKeys = TpmEvidenceReader.Check(await mine.GetEvidenceAsync(Token)).Evidence!;
        var theirKeys = TpmEvidenceReader.Check(await theirs.GetEvidenceAsync(Token)).Evidence!;
        var (idObject, encryptedSecret) = CredentialMaker.Make(theirKeys.Ek, myKeys.AkName, new byte[32]);

        var challenge = new TpmChallenge(
            "e2", Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<TpmException>(() => mine.ActivateAsync(challenge, Token));
    }

    [Fact]
    public async Task Evidence_EccEkAsTpm2bOrSpki_SameEkHash()
    {
        using var adapter = _tpm.Adapter(ek: TpmEkAlgorithm.Ecc);
        var evidence = await adapter.GetEvidenceAsync(Token);
        var fromTpm = TpmEvidenceReader.Check(evidence).Evidence!;
        var spki = Convert.ToBase64String(fromTpm.Ek.SubjectPublicKeyInfo());
        var (fromSpki, errors) = TpmEvidenceReader.Check(evidence with { EkPublic = spki });

        Assert.Empty(errors);
        Assert.Equal(fromTpm.EkHash, fromSpki!.EkHash);
        Assert.True(fromSpki.Ek.SameKeyAs(fromTpm.Ek));
    }

    [Fact]
    public async Task MakeCredential_SameLayoutAsTpm2Makecredential()
    {
        using var adapter = _tpm.Adapter();
        var evidence = await adapter.GetEvidenceAsync(TestContext.Current.CancellationToken);
        var directory = Directory.CreateTempSubdirectory("fleet-makecred-").FullName;
        var ekPub = Path.Combine(directory, "ek.pub");
        var secretFile = Path.Combine(directory, "secret");
        var output = Path.Combine(directory, "cred.out");
        await File.WriteAllBytesAsync(ekPub, Convert.FromBase64String(evidence.EkPublic), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(secretFile, new byte[32], TestContext.Current.CancellationToken);

        var result = await _tpm.RunAsync("tpm2_makecredential", "-T", "none", "-u", ekPub, "-s", secretFile, "-n", evidence.AkName, "-o", output);
        Assert.True(result.Succeeded, result.Explanation);
        var reference = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);

        var (checkedEvidence, _) = TpmEvidenceReader.Check(evidence);
        var (idObject, encryptedSecret) =
            CredentialMaker.Make(checkedEvidence!.Ek, checkedEvidence.AkName, new byte[32]);

        // tpm2-tools: magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. Random seeds differ; the structure must not.
        Assert.Equal(0xBADCC0DEu, BinaryPrimitives.ReadUInt32BigEndian(reference));
        var referenceId = reference.AsSpan(8, 2 + BinaryPrimitives.ReadUInt16BigEndian(reference.AsSpan(8)));
        var referenceSecret = reference.AsSpan(8 + referenceId.Length);
        Assert.Equal(referenceId.Length, idObject.Length);
        Assert.Equal(referenceId[..4].ToArray(), idObject[..4]); // total size and the integrity HMAC's size
        Assert.Equal(referenceSecret.Length, encryptedSecret.Length);
        Assert.Equal(referenceSecret[..2].ToArray(), encryptedSecret[..2]);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Activate_ChallengeForAnotherTpmsEk_TpmRefuses()
    {
        await using var other = await SoftwareTpm.StartAsync();
        using var mine = _tpm.Adapter();
        using var theirs = other.Adapter();
        var myEvidence = await mine.GetEvidenceAsync(TestContext.Current.CancellationToken);
        var theirEvidence = await theirs.GetEvidenceAsync(TestContext.Current.CancellationToken);

        // Encrypted to the other TPM's EK but naming my AK: my TPM cannot decrypt the seed.
        var (theirKeys, _) = TpmEvidenceReader.Check(theirEvidence);
        var (myKeys, _) = TpmEvidenceReader.Check(myEvidence);
        var (idObject, encryptedSecret) = CredentialMaker.Make(theirKeys!.Ek, myKeys!.AkName, new byte[32]);

        await Assert.ThrowsAsync<TpmException>(() => mine.ActivateAsync(
            new TpmChallenge("c2", Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), DateTimeOffset.UtcNow), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Evidence_AkNameNotOfAkPublic_RefusedNamingTheField()
    {
        using var adapter = _tpm.Adapter();
        var evidence = await adapter.GetEvidenceAsync(TestContext.Current.CancellationToken);

        var (forged, errors) = TpmEvidenceReader.Check(evidence with { AkName = "000b" + new string('0', 64) });

        Assert.Null(forged);
        Assert.Contains(errors, e => e.StartsWith("tpm.akName:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Evidence_EkAsTpm2bOrSpki_SameEkHash()
    {
        using var adapter = _tpm.Adapter();
        var evidence = await adapter.GetEvidenceAsync(TestContext.Current.CancellationToken);
        var (fromTpm, _) = TpmEvidenceReader.Check(evidence);
        using var rsa = System.Security.Cryptography.RSA.Create(
            new System.Security.Cryptography.RSAParameters { Modulus = fromTpm!.Ek.Modulus, Exponent = [1, 0, 1] });
        var (fromSpki, errors) = TpmEvidenceReader.Check(evidence with { EkPublic = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()) });

        Assert.Empty(errors);
        Assert.Equal(fromTpm.EkHash, fromSpki!.EkHash);
    }
}
