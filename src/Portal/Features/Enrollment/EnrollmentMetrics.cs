using System.Diagnostics.Metrics;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Meter <c>Fleet.Enrollment</c>: how credentials were answered and how often clients were locked out, so an operator
/// can see an enrolment storm (re-issues climbing, lock-outs by address) without reading logs.
/// </summary>
public sealed class EnrollmentMetrics
{
    public const string MeterName = "Fleet.Enrollment";

    public const string CredentialsName = "fleet.enrollment.credentials";

    public const string LockoutsName = "fleet.mqtt.lockouts";

    private readonly Counter<long> _credentials;
    private readonly Counter<long> _lockouts;

    public EnrollmentMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _credentials = meter.CreateCounter<long>(CredentialsName, "{credential}",
            "Credentials sent to devices, by answer: issued (on approval), reissued (a new secret for an approved "
            + "device asking again), repeated (the same secret answered again)");
        _lockouts = meter.CreateCounter<long>(LockoutsName, "{lockout}",
            "MQTT lock-outs after bad passwords, by scope: client (one client id at one address) or address");
    }

    public void Credential(CredentialAnswer answer) =>
        _credentials.Add(1, new KeyValuePair<string, object?>("answer", answer switch
        {
            CredentialAnswer.Issued => "issued",
            CredentialAnswer.Reissued => "reissued",
            _ => "repeated",
        }));

    public void Lockout(bool wholeAddress) =>
        _lockouts.Add(1, new KeyValuePair<string, object?>("scope", wholeAddress ? "address" : "client"));
}

/// <summary>What an enrolment answer did to a device's credential.</summary>
public enum CredentialAnswer
{
    /// <summary>The first credential of an approval.</summary>
    Issued,

    /// <summary>A new secret for an approved device that asked again and could not be given its current one.</summary>
    Reissued,

    /// <summary>The secret the device was already given, answered again (its answer was lost or crossed a
    /// retry).</summary>
    Repeated,
}
