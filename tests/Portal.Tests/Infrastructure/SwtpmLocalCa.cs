using Fleet.DeviceAgent.Updates;
using Fleet.Portal.Features.Attestation;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// swtpm's own local CA (<c>swtpm_localca</c>) standing in for a TPM manufacturer, living in a temp folder (not
/// <c>/var/lib/swtpm-localca</c>): <c>swtpm_setup.conf</c> and <c>swtpm-localca.conf</c> are written there, and the
/// root and intermediate ("issuer") certificates appear there when the first EK certificate is made.
/// </summary>
public sealed class SwtpmLocalCa : IDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private SwtpmLocalCa(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>The <c>--config</c> file for <c>swtpm_setup</c>.</summary>
    public string SetupConfig => Path.Combine(Directory, "swtpm_setup.conf");

    private string LocalCaConfig => Path.Combine(Directory, "swtpm-localca.conf");

    private string LocalCaOptions => Path.Combine(Directory, "swtpm-localca.options");

    /// <summary>The self-signed root (exists once a certificate was made).</summary>
    public string RootCertificate => Path.Combine(Directory, "ca", "swtpm-localca-rootca-cert.pem");

    /// <summary>The intermediate that signs EK certificates (exists once a certificate was made).</summary>
    public string IssuerCertificate => Path.Combine(Directory, "ca", "issuercert.pem");

    public static SwtpmLocalCa Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fleet-swtpm-ca-").FullName;
        var ca = new SwtpmLocalCa(directory);
        var state = System.IO.Directory.CreateDirectory(Path.Combine(directory, "ca")).FullName;
        File.WriteAllText(ca.LocalCaConfig, $"""
            statedir = {state}
            signingkey = {state}/signkey.pem
            issuercert = {state}/issuercert.pem
            certserial = {state}/certserial

            """);
        File.WriteAllText(
            ca.LocalCaOptions, "--platform-manufacturer Fleet\n--platform-version 2.1\n--platform-model test\n");
        File.WriteAllText(ca.SetupConfig, $"""
            create_certs_tool = /usr/bin/swtpm_localca
            create_certs_tool_config = {ca.LocalCaConfig}
            create_certs_tool_options = {ca.LocalCaOptions}
            active_pcr_banks = sha256

            """);
        return ca;
    }

    /// <summary>
    /// A TPM manufactured as a vendor would: <c>swtpm_setup --create-ek-cert --create-platform-cert</c> with this CA
    /// as the manufacturer CA (an RSA 2048 EK certificate at NV index 0x1c00002).
    /// </summary>
    public async Task<SoftwareTpm> ManufactureAsync()
    {
        var state = System.IO.Directory.CreateTempSubdirectory("fleet-swtpm-").FullName;
        var setup = await new ProcessRunner().RunAsync("swtpm_setup",
            ["--tpm2", "--tpmstate", state, "--create-ek-cert", "--create-platform-cert", "--config", SetupConfig,
                "--overwrite"], ToolTimeout, CancellationToken.None);
        Assert.True(setup.Succeeded, $"swtpm_setup: {setup.Explanation}");
        return await SoftwareTpm.StartAsync(state);
    }

    /// <summary>
    /// Gives the TPM's ECC NIST P-256 EK (TCG template L-2, what <c>tpm2_createek -G ecc</c> makes) a certificate from
    /// this CA at NV index 0x1c0000a, as a maker provisions it. swtpm_setup 0.7 certifies an ECC P-384 EK only.
    /// </summary>
    public async Task CertifyEccEkAsync(SoftwareTpm tpm)
    {
        ArgumentNullException.ThrowIfNull(tpm);
        var work = System.IO.Directory.CreateTempSubdirectory("fleet-swtpm-ecc-").FullName;
        try
        {
            var pub = Path.Combine(work, "ek.pub");
            await Tpm(tpm, "tpm2_createek", "-c", Path.Combine(work, "ek.ctx"), "-G", "ecc", "-u", pub);
            await Tpm(tpm, "tpm2_flushcontext", "-t");
            var key = TpmPublicArea.Parse(await File.ReadAllBytesAsync(pub)).Key;
            var point = $"x={Convert.ToHexStringLower(key.X!)},y={Convert.ToHexStringLower(key.Y!)},id=secp256r1";
            var made = await new ProcessRunner().RunAsync("swtpm_localca",
                ["--type", "ek", "--ek", point, "--dir", work, "--tpm-spec-family", "2.0", "--tpm-spec-level", "0",
                    "--tpm-spec-revision", "164", "--tpm-manufacturer", "id:00001014", "--tpm-model", "swtpm",
                    "--tpm-version", "id:20191023", "--tpm2", "--configfile", LocalCaConfig,
                    "--optsfile", LocalCaOptions],
                ToolTimeout, CancellationToken.None);
            Assert.True(made.Succeeded, made.Explanation);
            var certificate = Path.Combine(work, "ek.cert");
            var size = new FileInfo(certificate).Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Tpm(tpm, "tpm2_nvdefine", "0x1c0000a", "-C", "p", "-s", size,
                "-a", "ppwrite|ppread|ownerread|authread|no_da|platformcreate|writedefine");
            await Tpm(tpm, "tpm2_nvwrite", "0x1c0000a", "-C", "p", "-i", certificate);
        }
        finally
        {
            System.IO.Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Deletes the RSA EK certificate (NV index 0x1c00002): the only EK certificate left is ECC.</summary>
    public static Task RemoveRsaEkCertificateAsync(SoftwareTpm tpm) =>
        Tpm(tpm ?? throw new ArgumentNullException(nameof(tpm)), "tpm2_nvundefine", "0x1c00002", "-C", "p");

    /// <summary>The EK certificate at <paramref name="index"/> (DER).</summary>
    public static async Task<byte[]> ReadNvAsync(SoftwareTpm tpm, string index)
    {
        ArgumentNullException.ThrowIfNull(tpm);
        var file = Path.GetTempFileName();
        try
        {
            await Tpm(tpm, "tpm2_nvread", index, "-o", file);
            return await File.ReadAllBytesAsync(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static async Task Tpm(SoftwareTpm tpm, string tool, params string[] arguments)
    {
        var result = await tpm.RunAsync(tool, arguments);
        Assert.True(result.Succeeded, $"{tool}: {result.Explanation}");
    }
}
