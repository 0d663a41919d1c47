using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
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
