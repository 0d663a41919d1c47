namespace Fleet.DeviceAgent.Tpm;

/// <summary>Configuration section <c>Agent:Tpm</c>: whether and how the agent proves its identity with a TPM 2.0.</summary>
public sealed class TpmOptions
{
    public const string SectionName = "Agent:Tpm";

    /// <summary>True: use the TPM (enrolment fails loudly if it cannot). False: never. Unset: use it when <c>/dev/tpmrm0</c> exists.</summary>
    public bool? Enabled { get; set; }

    /// <summary>The tpm2-tools TCTI (<c>device:/dev/tpmrm0</c>, <c>swtpm:host=127.0.0.1,port=2321</c>); unset: the <c>TPM2TOOLS_TCTI</c> environment variable, else the kernel resource manager.</summary>
    public string? Tcti { get; set; }

    /// <summary>How long one tpm2-tools command may run before it is killed.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 600)]
    public int ToolTimeoutSeconds { get; set; } = 30;
}
