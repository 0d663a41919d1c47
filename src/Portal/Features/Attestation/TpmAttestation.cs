using System.Security.Cryptography;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// The outcome of the TPM step of an enrolment request: an answer to send at once (the evidence is bad,
/// the activation is refused, or possession is not proven yet), or the proven evidence, or neither
/// (the device has no TPM).
/// </summary>
internal sealed record TpmStep(EnrollmentResponse? Answer, CheckedEvidence? Proven)
{
    public static readonly TpmStep NoTpm = new(null, null);
}

/// <summary>
/// Proves that an enrolling device holds the TPM it names: MakeCredential challenge out, the recovered
/// secret back. Challenges are single use, expire, and are bound to the enrolment id, the EK and the AK;
/// nothing about a device is recorded until it has proven its EK.
/// </summary>
internal sealed class TpmAttestation(
    FleetDbContext db,
    AuditLog audit,
    Enrollment.EnrollmentBatch batch,
    EkCertificateVerifier certificates,
    IOptions<AttestationOptions> options,
    ILogger<TpmAttestation> logger)
{
    private const int RefusedRetrySeconds = 300;

    /// <summary>Portal clock ticks of the last sweep of expired challenges (enrolments that were abandoned).</summary>
    private static long s_lastSweepTicks;

    public async Task<TpmStep> CheckAsync(string enrollmentId, EnrollmentRequest request, DateTimeOffset now, string? address, CancellationToken cancellationToken)
    {
        if (request.Tpm is null)
        {
            if (request.TpmActivation is not null)
            {
                return Refuse(enrollmentId, address, "tpmActivation: present without tpm");
            }

            // A device that enrolled with a TPM is that TPM: without a proof it is not that device.
            var attested = batch.TryFindByEnrollmentId(enrollmentId, out var known) ? (known?.EkHash is null ? null : known)
                : db.Devices.Local.FirstOrDefault(d => d.EnrollmentId == enrollmentId && d.EkHash != null)
                    ?? await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.EnrollmentId == enrollmentId && d.EkHash != null, cancellationToken);
            return attested is null
                ? TpmStep.NoTpm
                : Refuse(enrollmentId, address, $"tpm: device {attested.Id:N} enrolled with a TPM (EK {Short(attested.EkHash)}); every request must carry tpm and answer a challenge");
        }

        var (checkedEvidence, errors) = TpmEvidenceReader.Check(request.Tpm);
        if (checkedEvidence is null)
        {
            return Refuse(enrollmentId, address, string.Join("; ", errors));
        }

        // Before any challenge: under Require an EK no TPM maker vouches for gets none. A certificate for another
        // key is a lie, not a missing credential: refused unless the policy ignores certificates.
        var certificate = certificates.Check(checkedEvidence, now);
        var policy = options.Value.EkCertificatePolicy;
        var refused = policy == EkCertificatePolicy.Require
            || (certificate.KeyMismatch && policy == EkCertificatePolicy.Flag);
        if (!certificate.Verified && refused)
        {
            return Refuse(enrollmentId, address, $"tpm.ekCertificate: {certificate.Problem}");
        }

        var evidence = checkedEvidence with { Certificate = certificate };

        // This enrolment's challenges, into memory: expired ones are deleted (an answer to one then meets
        // "unknown" and a fresh challenge), answered ones stay until they expire so a replay is recognised.
        await db.TpmChallenges.Where(c => c.EnrollmentId == enrollmentId).LoadAsync(cancellationToken);
        foreach (var stale in db.TpmChallenges.Local.Where(c => c.EnrollmentId == enrollmentId && c.ExpiresAt < now).ToList())
        {
            db.TpmChallenges.Remove(stale);
        }

        await SweepAsync(now, cancellationToken);

        if (request.TpmActivation is not { } activation)
        {
            return new TpmStep(Challenge(enrollmentId, evidence, now, "prove possession of the TPM: answer tpmChallenge"), null);
        }

        var challenge = db.TpmChallenges.Local.FirstOrDefault(c => c.Id == activation.ChallengeId)
            ?? await db.TpmChallenges.FirstOrDefaultAsync(c => c.Id == activation.ChallengeId, cancellationToken);
        if (challenge is null || now > challenge.ExpiresAt)
        {
            // Expired challenges are pruned, so unknown and expired look alike: either way, a fresh one.
            logger.LogInformation("Enrolment {EnrollmentId} answered unknown or expired TPM challenge {ChallengeId}; issuing a new one", enrollmentId, activation.ChallengeId);
            return new TpmStep(Challenge(enrollmentId, evidence, now, "TPM challenge unknown or expired: answer the new tpmChallenge"), null);
        }

        if (challenge.EnrollmentId != enrollmentId)
        {
            return Refuse(enrollmentId, address, $"tpmActivation.challengeId: challenge {challenge.Id} was issued to another enrolment");
        }

        if (challenge.UsedAt is not null)
        {
            return Refuse(enrollmentId, address, $"tpmActivation.challengeId: challenge {challenge.Id} was already answered at {challenge.UsedAt:u} (replay)");
        }

        if (challenge.EkHash != evidence.EkHash || challenge.AkName != evidence.AkNameHex)
        {
            return Refuse(enrollmentId, address, $"tpmActivation.challengeId: challenge {challenge.Id} was made for another EK or AK than this request presents");
        }

        // One answer per challenge, right or wrong: a wrong guess burns it.
        challenge.UsedAt = now;
        var secret = new byte[64];
        if (!Convert.TryFromBase64String(activation.Secret ?? string.Empty, secret, out var length)
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(secret.AsSpan(0, length)), challenge.SecretHash))
        {
            return Refuse(enrollmentId, address, $"tpmActivation.secret: does not match challenge {challenge.Id}; the TPM holding EK {Short(evidence.EkHash)} did not decrypt it");
        }

        logger.LogInformation("Enrolment {EnrollmentId} proved possession of TPM EK {EkHash}", enrollmentId, evidence.EkHash);
        return new TpmStep(null, evidence);
    }

    /// <summary>A device that proved its TPM and is still waiting gets the next challenge with its answer, so its next request can prove again.</summary>
    public EnrollmentResponse Complete(EnrollmentResponse answer, string enrollmentId, CheckedEvidence? proven, DateTimeOffset now) =>
        proven is null || answer.Decision != EnrollmentDecision.Pending
            ? answer
            : answer with { TpmChallenge = Issue(enrollmentId, proven, now) };

    private EnrollmentResponse Challenge(string enrollmentId, CheckedEvidence evidence, DateTimeOffset now, string reason) =>
        new(EnrollmentDecision.Pending, Reason: reason, RetryAfterSeconds: 0, TpmChallenge: Issue(enrollmentId, evidence, now));

    private TpmChallenge Issue(string enrollmentId, CheckedEvidence evidence, DateTimeOffset now)
    {
        // At most one open challenge per enrolment: a flood of requests replaces rows, it does not add them.
        foreach (var open in db.TpmChallenges.Local.Where(c => c.EnrollmentId == enrollmentId && c.UsedAt == null).ToList())
        {
            db.TpmChallenges.Remove(open);
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        var (idObject, encryptedSecret) = CredentialMaker.Make(evidence.Ek, evidence.AkName, secret);
        var record = new TpmChallengeRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            EnrollmentId = enrollmentId,
            EkHash = evidence.EkHash,
            AkName = evidence.AkNameHex,
            SecretHash = SHA256.HashData(secret),
            IssuedAt = now,
            ExpiresAt = now.AddSeconds(options.Value.ChallengeLifetimeSeconds),
        };
        db.TpmChallenges.Add(record);
        return new TpmChallenge(record.Id, Convert.ToBase64String(idObject), Convert.ToBase64String(encryptedSecret), record.ExpiresAt);
    }

    /// <summary>
    /// Now and then, deletes a bounded number of expired challenges of any enrolment, through this context
    /// (not ExecuteDelete) so rows already tracked in the batch stay consistent.
    /// </summary>
    private async Task SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref s_lastSweepTicks);
        if (now.UtcTicks - last < TimeSpan.FromSeconds(options.Value.ChallengeLifetimeSeconds).Ticks
            || Interlocked.CompareExchange(ref s_lastSweepTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        foreach (var expired in await db.TpmChallenges.Where(c => c.ExpiresAt < now).OrderBy(c => c.ExpiresAt).Take(500).ToListAsync(cancellationToken))
        {
            db.TpmChallenges.Remove(expired);
        }
    }

    private TpmStep Refuse(string enrollmentId, string? address, string reason)
    {
        logger.LogWarning("TPM attestation of enrolment {EnrollmentId} refused: {Reason}", enrollmentId, reason);
        audit.Add(db, Actor.FromDevice(enrollmentId, address), "device.tpm-refused", "enrolment", enrollmentId, outcome: AuditOutcome.Denied, detail: reason);
        return new TpmStep(new EnrollmentResponse(EnrollmentDecision.Invalid, Reason: $"TPM attestation refused: {reason}", RetryAfterSeconds: RefusedRetrySeconds), null);
    }

    internal static string Short(string? hash) => hash is null ? "none" : hash.Length <= 12 ? hash : hash[..12] + "…";
}
