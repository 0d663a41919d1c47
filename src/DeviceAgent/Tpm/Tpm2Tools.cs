using System.Buffers.Binary;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Tpm;

/// <summary>
/// The TPM through <c>tpm2-tools</c>. The EK is recreated from its template on every use (the same
/// TPM always yields the same EK); the AK's public and wrapped private parts are kept in
/// <c>StateDirectory/tpm</c> and loaded under the EK when needed, so they survive reboots and TPM
/// resets. Every transient object and session is flushed after use: without a resource manager
/// (swtpm, /dev/tpm0) the TPM has room for only three objects.
/// </summary>
public sealed class Tpm2Tools : ITpmAttestor, IDisposable
{
    private const uint CredentialFileMagic = 0xBADCC0DE; // tpm2_makecredential / tpm2_activatecredential file header
    private const string RsaEkCertificateIndex = "0x1c00002"; // RSA 2048 EK certificate (TCG EK Credential Profile)
    private const string EccEkCertificateIndex = "0x1c0000a"; // ECC NIST P-256 EK certificate

    private readonly IProcessRunner _runner;
    private readonly ILogger<Tpm2Tools> _logger;
    private readonly string _directory;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, string> _environment;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TpmEkAlgorithm _wanted;
    private TpmEkAlgorithm? _ek; // Rsa or Ecc once chosen
    private TpmEvidence? _evidence;

    public Tpm2Tools(IProcessRunner runner, IOptions<AgentOptions> agent, IOptions<TpmOptions> options, ILogger<Tpm2Tools> logger)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        _runner = runner;
        _logger = logger;
        _directory = Path.Combine(agent.Value.StateDirectory, "tpm");
        _timeout = TimeSpan.FromSeconds(options.Value.ToolTimeoutSeconds);
        var tcti = options.Value.Tcti ?? Environment.GetEnvironmentVariable("TPM2TOOLS_TCTI") ?? "device:/dev/tpmrm0";
        _environment = new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tcti };
        IsEnabled = IsWanted(options.Value);
        _wanted = options.Value.EkAlgorithm;
        Tcti = tcti;
    }

    /// <summary>Whether enrolment should use the TPM (configured, or auto-detected from <c>/dev/tpmrm0</c>).</summary>
    public bool IsEnabled { get; }

    /// <summary>
    /// Whether <paramref name="options"/> ask for the TPM: configured, or auto-detected from <c>/dev/tpmrm0</c>.
    /// </summary>
    public static bool IsWanted(TpmOptions options) => options?.Enabled ?? File.Exists("/dev/tpmrm0");

    public string Tcti { get; }

    private string FileOf(string name) => Path.Combine(_directory, name);

    public async Task<TpmEvidence> GetEvidenceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_evidence is not null)
            {
                return _evidence;
            }

            EnsureDirectory();
            var certificate = await ChooseEkAsync(cancellationToken);
            await CreateEkAsync(withPublic: true, cancellationToken);
            if (!File.Exists(AkFile("ak.pub")) || !File.Exists(AkFile("ak.priv")) || !File.Exists(AkFile("ak.name")))
            {
                await RunAsync("tpm2_createak", ["-C", FileOf("ek.ctx"), "-c", FileOf("ak.ctx"), "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                    "-u", AkFile("ak.pub"), "-n", AkFile("ak.name"), "-r", AkFile("ak.priv")], cancellationToken);
                await FlushAsync(cancellationToken);
                _logger.LogInformation(
                    "Created a TPM attestation key under the {Algorithm} EK in {Directory}", _ek, _directory);
            }

            _evidence = new TpmEvidence(
                Convert.ToBase64String(await File.ReadAllBytesAsync(FileOf("ek.pub"), cancellationToken)),
                Convert.ToBase64String(await File.ReadAllBytesAsync(AkFile("ak.pub"), cancellationToken)),
                Convert.ToHexStringLower(await File.ReadAllBytesAsync(AkFile("ak.name"), cancellationToken)),
                certificate is null ? null : Convert.ToBase64String(certificate));
            return _evidence;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<TpmActivation> ActivateAsync(TpmChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        byte[] idObject, encryptedSecret;
        try
        {
            idObject = Convert.FromBase64String(challenge.CredentialBlob);
            encryptedSecret = Convert.FromBase64String(challenge.EncryptedSecret);
        }
        catch (FormatException ex)
        {
            throw new TpmException($"challenge {challenge.ChallengeId} is not base64", ex);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            EnsureDirectory();
            var credential = new byte[8 + idObject.Length + encryptedSecret.Length];
            BinaryPrimitives.WriteUInt32BigEndian(credential, CredentialFileMagic);
            BinaryPrimitives.WriteUInt32BigEndian(credential.AsSpan(4), 1);
            idObject.CopyTo(credential, 8);
            encryptedSecret.CopyTo(credential, 8 + idObject.Length);
            await File.WriteAllBytesAsync(FileOf("credential.in"), credential, cancellationToken);
            File.Delete(FileOf("secret.out"));

            if (_ek is null)
            {
                await ChooseEkAsync(cancellationToken);
            }

            await CreateEkAsync(withPublic: false, cancellationToken);
            await WithEkPolicyAsync(
                session => RunAsync("tpm2_load",
                    ["-C", FileOf("ek.ctx"), "-u", AkFile("ak.pub"), "-r", AkFile("ak.priv"), "-c", FileOf("ak.ctx"),
                        "-P", session],
                    cancellationToken),
                cancellationToken);
            await WithEkPolicyAsync(session => RunAsync("tpm2_activatecredential", ["-c", FileOf("ak.ctx"), "-C", FileOf("ek.ctx"), "-i", FileOf("credential.in"), "-o", FileOf("secret.out"), "-P", session], cancellationToken), cancellationToken);
            var secret = await File.ReadAllBytesAsync(FileOf("secret.out"), cancellationToken);
            return new TpmActivation(challenge.ChallengeId, Convert.ToBase64String(secret));
        }
        finally
        {
            File.Delete(FileOf("secret.out"));
            File.Delete(FileOf("credential.in"));
            _gate.Release();
        }
    }

    /// <summary>
    /// The AK's files: its wrapped private part is bound to the EK it was made under, so the ECC EK has its own
    /// (the RSA EK's keep their original names).
    /// </summary>
    private string AkFile(string name) => FileOf(_ek == TpmEkAlgorithm.Ecc ? "ecc-" + name : name);

    /// <summary>
    /// Settles which EK this TPM presents (<see cref="TpmOptions.EkAlgorithm"/>); returns its certificate, if any.
    /// </summary>
    private async Task<byte[]?> ChooseEkAsync(CancellationToken cancellationToken)
    {
        byte[]? certificate;
        if (_wanted == TpmEkAlgorithm.Auto)
        {
            certificate = await ReadEkCertificateAsync(RsaEkCertificateIndex, cancellationToken);
            _ek = TpmEkAlgorithm.Rsa;
            if (certificate is null
                && await ReadEkCertificateAsync(EccEkCertificateIndex, cancellationToken) is { } ecc)
            {
                (certificate, _ek) = (ecc, TpmEkAlgorithm.Ecc);
            }
        }
        else
        {
            _ek = _wanted;
            certificate = await ReadEkCertificateAsync(
                _wanted == TpmEkAlgorithm.Ecc ? EccEkCertificateIndex : RsaEkCertificateIndex, cancellationToken);
        }

        if (certificate is null)
        {
            _logger.LogInformation("Using the TPM's {Algorithm} EK; the TPM holds no certificate for it", _ek);
        }
        else
        {
            _logger.LogInformation(
                "Using the TPM's {Algorithm} EK and its certificate ({Bytes} bytes)", _ek, certificate.Length);
        }

        return certificate;
    }

    private async Task CreateEkAsync(bool withPublic, CancellationToken cancellationToken)
    {
        var algorithm = _ek == TpmEkAlgorithm.Ecc ? "ecc" : "rsa";
        string[] arguments = withPublic
            ? ["-c", FileOf("ek.ctx"), "-G", algorithm, "-u", FileOf("ek.pub")]
            : ["-c", FileOf("ek.ctx"), "-G", algorithm];
        await RunAsync("tpm2_createek", arguments, cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>The EK's authorisation is a policy: PolicySecret with the endorsement hierarchy, one session per use.</summary>
    private async Task WithEkPolicyAsync(Func<string, Task> use, CancellationToken cancellationToken)
    {
        var session = FileOf("session.ctx");
        await RunAsync("tpm2_startauthsession", ["--policy-session", "-S", session], cancellationToken);
        try
        {
            await RunAsync("tpm2_policysecret", ["-S", session, "-c", "e"], cancellationToken);
            await use("session:" + session);
        }
        finally
        {
            await TryRunAsync("tpm2_flushcontext", [session], cancellationToken);
            await FlushAsync(cancellationToken);
            File.Delete(session);
        }
    }

    private async Task<byte[]?> ReadEkCertificateAsync(string index, CancellationToken cancellationToken)
    {
        var path = FileOf("ek.crt");
        File.Delete(path);
        try
        {
            if (!await TryRunAsync("tpm2_nvread", [index, "-o", path], cancellationToken) || !File.Exists(path))
            {
                _logger.LogDebug("The TPM has no EK certificate at NV index {Index}", index);
                return null;
            }

            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await TryRunAsync("tpm2_flushcontext", ["-t"], cancellationToken);
        await TryRunAsync("tpm2_flushcontext", ["-s"], cancellationToken);
    }

    private async Task RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ProcessResult result;
        try
        {
            result = await _runner.RunAsync(tool, arguments, _timeout, cancellationToken, _environment);
        }
        catch (Exception ex) when (ex is ToolNotFoundException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            throw new TpmException($"{tool}: {ex.Message}", ex);
        }

        if (!result.Succeeded)
        {
            throw new TpmException($"{tool} failed (TCTI {Tcti}): {result.Explanation}");
        }
    }

    private async Task<bool> TryRunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(tool, arguments, cancellationToken);
            return true;
        }
        catch (TpmException ex)
        {
            _logger.LogDebug("{Tool} failed (ignored): {Error}", tool, ex.Message);
            return false;
        }
    }

    public void Dispose() => _gate.Dispose();

    private void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The agent keeps its TPM keys with Unix file modes.");
        }

        if (!Directory.Exists(_directory))
        {
            Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
