namespace Fleet.DeviceAgent.Tpm;

/// <summary>Configuration section <c>Agent:Tpm</c>: whether and how the agent proves its identity with a TPM 2.0.</summary>
public sealed class TpmOptions
{
    public const string SectionName = "Agent:Tpm";

    /// <summary>True: use the TPM (enrolment fails loudly if it cannot). False: never. Unset: use it when <c>/dev/tpmrm0</c> exists.</summary>
    public bool? Enabled { get; set; }

    /// <summary>The tpm2-tools TCTI (<c>device:/dev/tpmrm0</c>, <c>swtpm:host=127.0.0.1,port=2321</c>); unset: the <c>TPM2TOOLS_TCTI</c> environment variable, else the kernel resource manager.</summary>
    public string? Tcti { get; set; }

    /// <summary>
    /// Which endorsement key proves the device: <c>Rsa</c> (RSA 2048; its certificate at NV index 0x1c00002),
    /// <c>Ecc</c> (NIST P-256; 0x1c0000a), or <c>Auto</c>: RSA when the TPM holds an RSA EK certificate, else ECC when
    /// it holds an ECC one, else RSA. The portal names a TPM by its EK, so changing this on an enrolled device makes
    /// it a new TPM to the portal.
    /// </summary>
    public TpmEkAlgorithm EkAlgorithm { get; set; } = TpmEkAlgorithm.Auto;

    /// <summary>How long one tpm2-tools command may run before it is killed.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 600)]
    public int ToolTimeoutSeconds { get; set; } = 30;
}

/// <summary>The endorsement key the agent presents (<see cref="TpmOptions.EkAlgorithm"/>).</summary>
public enum TpmEkAlgorithm
{
    /// <summary>RSA when the TPM holds an RSA EK certificate, else ECC when it holds an ECC one, else RSA.</summary>
    Auto = 0,

    /// <summary>RSA 2048 (TCG template L-1), certificate at NV index 0x1c00002.</summary>
    Rsa = 1,

    /// <summary>ECC NIST P-256 (TCG template L-2), certificate at NV index 0x1c0000a.</summary>
    Ecc = 2,
}
