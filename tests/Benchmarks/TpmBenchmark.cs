using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;

/// <summary>
/// TPM challenge cost: the portal's software MakeCredential (per second, one core and all cores) and
/// the device side's ActivateCredential round trip through tpm2-tools on a real swtpm.
/// Usage: dotnet run -c Release --project tests/Benchmarks -- --tpm [--challenges N] [--activations K]
/// </summary>
internal static class TpmBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var challenges = Arg(args, "--challenges", 5000);
        var activations = Arg(args, "--activations", 20);
        Console.WriteLine($"TPM challenge benchmark: {challenges} MakeCredential, {activations} swtpm activations, {Environment.ProcessorCount} cores");

        await using var tpm = await SoftwareTpm.StartAsync();
        using var adapter = tpm.Adapter();
        var evidence = await adapter.GetEvidenceAsync(CancellationToken.None);
        var keys = TpmEvidenceReader.Check(evidence).Evidence ?? throw new InvalidOperationException("evidence refused");

        // Portal side: what one challenge costs (evidence check + MakeCredential), warmed up first.
        for (var i = 0; i < 200; i++)
        {
            Challenge(evidence);
        }

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < challenges; i++)
        {
            Challenge(evidence);
        }

        var single = challenges / watch.Elapsed.TotalSeconds;
        watch.Restart();
        Parallel.For(0, challenges, _ => Challenge(evidence));
        var parallel = challenges / watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"portal: evidence check + MakeCredential {single:0} /s on one core ({1000 / single:0.000} ms each), {parallel:0} /s on all cores"));
        await EccAndCertificateAsync(tpm, keys, challenges);

        // Device side: MakeCredential → tpm2_createek + policy session + tpm2_load + tpm2_activatecredential on swtpm.
        var times = new List<double>();
        for (var i = 0; i < activations; i++)
        {
            var secret = RandomNumberGenerator.GetBytes(32);
            var (idObject, encryptedSecret) = CredentialMaker.Make(keys.Ek, keys.AkName, secret);
            var challenge = new TpmChallenge($"b{i}", Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), DateTimeOffset.UtcNow.AddMinutes(5));
            watch.Restart();
            var answer = await adapter.ActivateAsync(challenge, CancellationToken.None);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (!Convert.FromBase64String(answer.Secret).AsSpan().SequenceEqual(secret))
            {
                throw new InvalidOperationException("swtpm recovered a different secret");
            }
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"device: ActivateCredential round trip on swtpm (tpm2-tools, 9 processes) p50 {times[times.Count / 2]:0} ms, max {times[^1]:0} ms, mean {times.Average():0} ms over {times.Count}"));
    }

    /// <summary>
    /// The same for an ECC P-256 EK (ECDH instead of OAEP), and the EK certificate check: a chain root → intermediate
    /// → EK certificate (RSA 3072 CAs, as swtpm's local CA makes) built by X509Chain with CustomRootTrust.
    /// </summary>
    private static async Task EccAndCertificateAsync(SoftwareTpm tpm, CheckedEvidence rsa, int count)
    {
        using var eccAdapter = tpm.Adapter(ek: Fleet.DeviceAgent.Tpm.TpmEkAlgorithm.Ecc);
        var ecc = await eccAdapter.GetEvidenceAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            Challenge(ecc);
        }

        var eccRate = count / watch.Elapsed.TotalSeconds;
        using var rootKey = RSA.Create(3072);
        using var issuerKey = RSA.Create(3072);
        var now = DateTimeOffset.UtcNow;
        using var root = Ca("CN=bench-root", rootKey, null, null, now);
        using var issuer = Ca("CN=bench-issuer", issuerKey, root, rootKey, now);
        using var ekKey = RSA.Create(new RSAParameters { Modulus = rsa.Ek.Modulus, Exponent = rsa.Ek.Exponent });
        var request = new CertificateRequest(
            "CN=bench-ek", ekKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ek = request.Create(issuer, now.AddDays(-1), now.AddYears(1), [2]);
        var anchors = new EkTrustAnchors([root], [issuer]);
        var checks = Math.Min(count, 2000);
        watch.Restart();
        for (var i = 0; i < checks; i++)
        {
            if (!EkCertificateVerifier.Check(ek.RawData, rsa.Ek, anchors, now).Verified)
            {
                throw new InvalidOperationException("the benchmark chain does not verify");
            }
        }

        var checkRate = checks / watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"portal: ECC P-256 evidence check + MakeCredential {eccRate:0} /s on one core "
                + $"({1000 / eccRate:0.000} ms each)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"portal: EK certificate check (key + 3-certificate chain) {checkRate:0} /s on one core "
                + $"({1000 / checkRate:0.000} ms each)"));
    }

    private static X509Certificate2 Ca(
        string subject,
        RSA key,
        X509Certificate2? parent,
        RSA? parentKey,
        DateTimeOffset now)
    {
        var request = new CertificateRequest(
            subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(
            new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign, true));
        if (parent is null)
        {
            return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        }

        using var issued = request.Create(parent, now.AddDays(-1), now.AddYears(5), [1]);
        return issued.CopyWithPrivateKey(key);
    }

    private static void Challenge(TpmEvidence evidence)
    {
        var keys = TpmEvidenceReader.Check(evidence).Evidence!;
        CredentialMaker.Make(keys.Ek, keys.AkName, RandomNumberGenerator.GetBytes(32));
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
    }
}
