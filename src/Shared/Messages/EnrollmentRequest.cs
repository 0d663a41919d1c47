namespace Fleet.Shared.Messages;

/// <summary>
/// Agent → portal on <see cref="Topics.EnrollmentRequest"/>: who this device is. Sent on first start
/// and repeated (with back-off) until the portal answers Approved or Rejected.
/// </summary>
/// <param name="ProtocolVersion">Must equal <see cref="Protocol.Version"/>.</param>
/// <param name="MachineId">The 32-hex-digit <c>/etc/machine-id</c>.</param>
/// <param name="Hostname">The device's host name.</param>
/// <param name="Architecture">CPU architecture as the kernel names it (<c>x86_64</c>, <c>aarch64</c>).</param>
/// <param name="Kernel">Kernel release (<c>uname -r</c>).</param>
/// <param name="OsRelease">Fields of <c>/etc/os-release</c> (ID, VERSION_ID, PRETTY_NAME, VARIANT_ID…).</param>
/// <param name="Interfaces">Every network interface with a MAC address; exactly one is marked primary.</param>
/// <param name="AgentVersion">Version of the agent that sent the request.</param>
/// <param name="SentAt">When the agent sent it (agent clock).</param>
/// <param name="SerialNumber">The hardware serial number (<c>/sys/class/dmi/id/product_serial</c>) where the device has one; absent otherwise.</param>
/// <param name="Tpm">The device's TPM 2.0 keys, where it has a TPM; absent otherwise.</param>
/// <param name="TpmActivation">The answer to the last <see cref="EnrollmentResponse.TpmChallenge"/>; absent on the first request.</param>
/// <param name="EnrollmentToken">An enrolment token (option, file or kernel command line <c>fleet.enroll_token=</c>); a valid one lets the token policy approve the device at once.</param>
/// <param name="EnrollmentKey">
/// The agent's enrolment key: 256 random bits kept beside the enrolment id. The portal binds the first
/// key it sees to the enrolment and re-issues a credential only to a request carrying the same key
/// (proof of possession); a request with another key is refused as forged.
/// </param>
/// <param name="CertificateRequest">
/// A PKCS#10 certificate request (PEM) for a key the agent generated and keeps (ECDSA P-256; RSA 2048+ and P-384
/// accepted): once approved, the answer carries a client certificate for it (<see
/// cref="EnrollmentResponse.Certificate"/>). Absent: the device gets a password only.
/// </param>
public sealed record EnrollmentRequest(
    int ProtocolVersion,
    string MachineId,
    string Hostname,
    string Architecture,
    string Kernel,
    IReadOnlyDictionary<string, string> OsRelease,
    IReadOnlyList<NetworkInterfaceInfo> Interfaces,
    string AgentVersion,
    DateTimeOffset SentAt,
    string? SerialNumber = null,
    TpmEvidence? Tpm = null,
    TpmActivation? TpmActivation = null,
    string? EnrollmentToken = null,
    string? EnrollmentKey = null,
    string? CertificateRequest = null);

/// <summary>A network interface of an enrolling device.</summary>
/// <param name="Name">Kernel interface name (<c>eth0</c>, <c>enp1s0</c>).</param>
/// <param name="Mac">MAC address, lower-case colon-separated (<c>52:54:00:12:34:56</c>).</param>
/// <param name="IsPrimary">Whether this is the interface of the default route (or the first physical one).</param>
public sealed record NetworkInterfaceInfo(string Name, string Mac, bool IsPrimary);
