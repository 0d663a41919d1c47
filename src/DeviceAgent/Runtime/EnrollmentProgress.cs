using Fleet.DeviceAgent.State;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>Enrolment timing that must survive reconnects.</summary>
internal sealed class EnrollmentProgress(AgentState state, DateTimeOffset due)
{
    public DateTimeOffset Due { get; set; } = due;

    public EnrollmentDecision? LastDecision { get; set; }

    public bool AnnouncedRequest { get; set; }

    public string PrimaryMac { get; set; } = string.Empty;

    /// <summary>The certificate request for the device's TLS key, made once per enrolment.</summary>
    public string? CertificateRequest { get; set; }

    /// <summary>The state as it is now: changed during enrolment when a claim code is received.</summary>
    public AgentState State { get; set; } = state;
}
