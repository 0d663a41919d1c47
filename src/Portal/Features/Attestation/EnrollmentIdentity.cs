using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Security;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Attestation;

/// <summary>What the identity step decided before the enrolment rules run.</summary>
/// <param name="Answer">Send this and stop (bad TPM evidence, refused or missing proof, identity clash).</param>
/// <param name="Device">The device found by its proven EK, which comes before any other match.</param>
/// <param name="Proven">The TPM evidence the request proved, if any.</param>
/// <param name="CredentialRevoked">The proven device's credential was revoked: its live session must end.</param>
internal sealed record IdentityStep(
    EnrollmentResponse? Answer, Device? Device, CheckedEvidence? Proven, bool CredentialRevoked = false);

/// <summary>
/// The enrolment decider's hook for TPM attestation and identities: <see cref="BeforeAsync"/> runs
/// before the device is looked up, <see cref="AfterAsync"/> once it is known and refreshed.
/// </summary>
internal sealed class EnrollmentIdentity(
    FleetDbContext db,
    TpmAttestation attestation,
    IdentityLedger ledger,
    AuditLog audit,
    IOptions<DeviceOptions> options,
    IOptions<AttestationOptions> attestationOptions,
    ILogger<EnrollmentIdentity> logger)
{
    public async Task<IdentityStep> BeforeAsync(string enrollmentId, EnrollmentRequest request, DateTimeOffset now, string? address, CancellationToken cancellationToken)
    {
        var step = await attestation.CheckAsync(enrollmentId, request, now, address, cancellationToken);
        if (step.Answer is not null || step.Proven is null)
        {
            return new IdentityStep(step.Answer, null, null);
        }

        var device = await ledger.FindByEkAsync(step.Proven.EkHash, cancellationToken);
        if (device is null || device.EnrollmentId == enrollmentId)
        {
            return new IdentityStep(null, device, step.Proven);
        }

        // The same TPM under a new enrolment id: the OS was reinstalled (new state, maybe new machine-id and
        // NICs). The TPM proved it is the same hardware, so it is the same device.
        var holder = db.Devices.Local.FirstOrDefault(d => d.EnrollmentId == enrollmentId)
            ?? await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.EnrollmentId == enrollmentId, cancellationToken);
        if (holder is not null)
        {
            var reason = $"{IdentityLedger.ConflictPrefix}: enrolment id {enrollmentId} belongs to device {holder.Id:N} but its TPM is that of device {device.Id:N}";
            logger.LogWarning("{Reason}; not merged", reason);
            return new IdentityStep(Pending(EnrollmentRequestHandler.ConflictReason), null, null);
        }

        // The agent's state was wiped (reinstall, new disk, state.json deleted). The TPM proves the hardware, not
        // what now runs on it: an approved device loses its credential and waits for a person, as a revocation
        // does (docs/operations.md), so a stolen or reinstalled machine cannot collect its old identity unseen.
        var before = DeviceService.Summary(device);
        var previous = device.EnrollmentId;
        var wasApproved = device.State == EnrollmentState.Approved;
        device.EnrollmentId = enrollmentId;
        if (wasApproved)
        {
            RevokeForNewState(device, now);
        }

        const string Revoked = "; credential revoked, waiting for a person to approve it again";
        logger.LogInformation(
            "Device {DeviceId:N} ({Hostname}) enrols again with the same TPM under enrolment id {EnrollmentId}"
                + " (was {Previous}){Revoked}",
            device.Id, device.Hostname, enrollmentId, previous, wasApproved ? Revoked : string.Empty);
        audit.Add(db, Actor.FromDevice(enrollmentId, address), "device.tpm-reenrol", "device", device.Id.ToString("N"),
            before: $"{before}, enrolment id {previous}",
            after: $"{DeviceService.Summary(device)}, enrolment id {enrollmentId}"
                + (wasApproved ? ", credential revoked" : string.Empty),
            detail: $"same EK {device.EkHash}");
        db.DeviceEvents.Add(new DeviceEvent
        {
            DeviceId = device.Id,
            At = now,
            Kind = "enrolment",
            Message = $"Enrolled again with the same TPM (EK {TpmAttestation.Short(device.EkHash)}) and new agent state"
                + (wasApproved ? Revoked : string.Empty),
        });
        return new IdentityStep(null, device, step.Proven, CredentialRevoked: wasApproved);
    }

    /// <summary>
    /// As <c>CredentialService</c>'s revoke: credential gone, Pending but decided, so no policy approves it again.
    /// The request clock belonged to the old agent state; the decider binds the new agent's enrolment key (a proven
    /// EK may rebind it).
    /// </summary>
    private static void RevokeForNewState(Device device, DateTimeOffset now)
    {
        device.State = EnrollmentState.Pending;
        device.DecidedAt = now;
        device.DecidedBy = "portal (same TPM, new agent state)";
        device.ApprovedBy = null;
        device.CredentialHash = null;
        device.PendingCredentialHash = null;
        device.IsOnline = false;
        device.LastRequestSentAt = null;
    }

    /// <param name="answer">The enrolment rules' answer; called only when identity does not override it (it may issue a credential).</param>
    /// <param name="device">The device the enrolment rules found or created.</param>
    /// <param name="request">The enrolment request being decided.</param>
    /// <param name="step">What the identity check before the lookup proved (the EK hash, if any).</param>
    /// <param name="now">The batch's clock.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<EnrollmentResponse> AfterAsync(Device device, EnrollmentRequest request, IdentityStep step, DateTimeOffset now, Func<Task<EnrollmentResponse>> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(answer);
        if (step.Proven is { } proven)
        {
            if (device.EkHash is not null && device.EkHash != proven.EkHash)
            {
                var reason = $"{IdentityLedger.ConflictPrefix}: device proved EK {TpmAttestation.Short(proven.EkHash)} but enrolled with EK {TpmAttestation.Short(device.EkHash)}";
                logger.LogWarning("Device {DeviceId:N} ({Hostname}): {Reason}; not merged", device.Id, device.Hostname, reason);
                device.Conflict = reason;
                return Pending(EnrollmentRequestHandler.ConflictReason);
            }

            device.EkHash = proven.EkHash;
            device.TpmVerifiedAt = now;
            RecordCertificate(device, proven, now);
        }

        var conflicted = await ledger.RecordAsync(device, request, device.EkHash, now, cancellationToken);
        var response = conflicted && device.State != EnrollmentState.Rejected
            ? Pending(EnrollmentRequestHandler.ConflictReason)
            : await HeldForPersonAsync(device, step.Proven, cancellationToken) is { } held ? Pending(held)
            : await answer();
        return attestation.Complete(response, device.EnrollmentId, step.Proven, now);
    }

    /// <summary>
    /// Under <see cref="EkCertificatePolicy.Flag"/>, a pending device whose EK no trusted TPM maker vouches for
    /// waits for a person: no policy (token, MAC pre-registration) approves it, unless a person already vouched for
    /// this very TPM by pre-registering its EK hash. The reason the device is told; null when it is not held.
    /// </summary>
    private async Task<string?> HeldForPersonAsync(
        Device device, CheckedEvidence? proven, CancellationToken cancellationToken) =>
        proven?.Certificate is { Verified: false } certificate
            && attestationOptions.Value.EkCertificatePolicy == EkCertificatePolicy.Flag
            && device.State == EnrollmentState.Pending
            && !await PreRegisteredAsync(db, device.Id, proven.EkHash, cancellationToken)
            ? "waiting for a person: the TPM's EK is not vouched for by a trusted TPM manufacturer CA "
                + $"({certificate.Problem})"
            : null;

    /// <summary>A person pre-registered this EK by its hash (for this device, or not yet claimed).</summary>
    internal static Task<bool> PreRegisteredAsync(
        FleetDbContext db, Guid deviceId, string ekHash, CancellationToken cancellationToken) =>
        db.PreRegistrations.AnyAsync(
            p => p.EkHash == ekHash && (p.DeviceId == null || p.DeviceId == deviceId), cancellationToken);

    /// <summary>
    /// Issuer, serial and verdict of the EK certificate on the device; a change of verdict is a device event.
    /// </summary>
    private void RecordCertificate(Device device, CheckedEvidence proven, DateTimeOffset now)
    {
        if (proven.Certificate is not { } certificate)
        {
            return;
        }

        var problem = Cut(certificate.Problem, EkCertificateCheck.MaxProblem);
        var changed = problem != device.EkCertificateProblem
            || (problem is null && device.EkCertificateVerifiedAt is null);
        device.EkCertificateIssuer = Cut(certificate.Issuer, EkCertificateCheck.MaxIssuer);
        device.EkCertificateSerial = Cut(certificate.Serial, EkCertificateCheck.MaxSerial);
        device.EkCertificateProblem = problem;
        device.EkCertificateVerifiedAt = certificate.Verified ? now : null;
        if (!changed)
        {
            return;
        }

        var message = certificate.Verified
            ? $"EK certificate verified: issuer {certificate.Issuer}, serial {certificate.Serial}"
            : $"EK certificate not verified: {problem}";
        if (certificate.Verified)
        {
            logger.LogInformation("Device {DeviceId:N} ({Hostname}): {Message}", device.Id, device.Hostname, message);
        }
        else
        {
            logger.LogWarning("Device {DeviceId:N} ({Hostname}): {Message} (policy {Policy})",
                device.Id, device.Hostname, message, attestationOptions.Value.EkCertificatePolicy);
        }

        db.DeviceEvents.Add(
            new DeviceEvent { DeviceId = device.Id, At = now, Kind = "enrolment", Message = Cut(message, 1024)! });
    }

    private static string? Cut(string? text, int length) =>
        text is null || text.Length <= length ? text : text[..length];

    private EnrollmentResponse Pending(string reason) =>
        new(EnrollmentDecision.Pending, Reason: reason, RetryAfterSeconds: options.Value.PendingRetrySeconds);
}
