using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Ingest;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Decides what an enrolment request means: a new device (Pending) or the same enrolment asking
/// again (answer with its current decision). Collisions with another device's MAC or machine-id are
/// flagged for a person, never merged; a rejected machine stays rejected under any enrolment id.
/// </summary>
internal sealed class EnrollmentRequestHandler(
    FleetDbContext db,
    AuditLog audit,
    EnrollmentPolicy policy,
    IOptions<DeviceOptions> options,
    ILogger<EnrollmentRequestHandler> logger,
    Attestation.EnrollmentIdentity identity,
    EnrollmentBatch index,
    DeviceCredentials credentials) : IInboundHandler
{
    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.EnrollmentRequest)];

    /// <summary>An enrolment request names an enrolment id, not a device id.</summary>
    public bool LoadsDevice => false;

    public IReadOnlyCollection<Type> BulkInserts { get; } =
    [
        typeof(Device), typeof(DeviceMac), typeof(DeviceEvent), typeof(AuditEntry),
        typeof(Attestation.DeviceIdentifier),
    ];

    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(Device)];

    /// <summary>
    /// Loads, in three queries for the whole batch, what the per-request checks would otherwise query one
    /// request at a time (see <see cref="EnrollmentBatch"/>). Enrolment at hundreds a second spent most of its
    /// batch time in those queries.
    /// </summary>
    public Task PreloadAsync(
        IReadOnlyList<InboundMessage> messages, IngestBatch batch, CancellationToken cancellationToken) =>
        index.PreloadAsync(messages, cancellationToken);

    /// <summary>
    /// The reason a flagged device is told. The enrolling client is not yet trusted, so the answer names no other
    /// device (hostname, id, machine-id, EK): <see cref="Device.Conflict"/> keeps that detail for the portal.
    /// </summary>
    public const string ConflictReason =
        "waiting for a person: this device's MAC, machine-id or TPM matches another device";

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        var enrollmentId = message.Id;
        var responseTopic = Topics.EnrollmentResponse(enrollmentId);
        EnrollmentRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(message.Payload.Span, FleetJson.Default.EnrollmentRequest);
        }
        catch (JsonException ex)
        {
            var where = $"{ex.Path ?? "$"} (line {ex.LineNumber}, byte {ex.BytePositionInLine})";
            logger.LogWarning("Enrolment request from {EnrollmentId} refused: malformed JSON at {Where}: {Error}", enrollmentId, where, ex.Message);
            Reply(batch, responseTopic, Invalid($"malformed JSON at {where}: {ex.Message}"));
            return;
        }

        var errors = request is null ? ["payload: JSON null"] : EnrollmentRequestValidator.Validate(request);
        if (errors.Count > 0)
        {
            logger.LogWarning("Enrolment request from {EnrollmentId} refused: {Errors}", enrollmentId, string.Join("; ", errors));
            Reply(batch, responseTopic, Invalid(string.Join("; ", errors)));
            return;
        }

        var now = message.ReceivedAt;

        // TPM proof and EK-first matching (Features/Attestation); may answer at once.
        var identityStep = await identity.BeforeAsync(enrollmentId, request!, now, message.Address, cancellationToken);
        if (identityStep is { CredentialRevoked: true, Device: { } revoked })
        {
            batch.EndSessions.Add(revoked.Id);
        }
        if (identityStep.Answer is { } identityAnswer)
        {
            Reply(batch, responseTopic, identityAnswer);
            return;
        }

        if (await policy.RejectedByAsync(enrollmentId, request!, cancellationToken) is { } rule)
        {
            logger.LogWarning("Enrolment {EnrollmentId} ({Hostname}) matches reject rule {Kind} {Value}; rejected",
                enrollmentId, request!.Hostname, rule.Kind, rule.Value);
            Reply(batch, responseTopic, new EnrollmentResponse(EnrollmentDecision.Rejected,
                Reason: $"on the reject list ({rule.Kind.Label()})", RetryAfterSeconds: 3600));
            return;
        }

        var keyHash = string.IsNullOrEmpty(request!.EnrollmentKey) ? null : DeviceCredentials.Hash(request.EnrollmentKey);
        var device = identityStep.Device ?? await FindAsync(enrollmentId, cancellationToken);

        // A proven EK is stronger proof than the enrolment key: a reinstalled TPM device (new key, fresh
        // state) answered a single-use challenge with its TPM, so it may rebind its key.
        var tpmProven = identityStep.Proven is not null;
        if (device is not null && !tpmProven && Refused(device, request, keyHash) is { } refusal)
        {
            logger.LogWarning("Enrolment request from {EnrollmentId} (device {DeviceId:N}, from {Address}) refused: {Reason}",
                enrollmentId, device.Id, message.Address, refusal);
            Reply(batch, responseTopic, Invalid(refusal));
            return;
        }

        if (device is null)
        {
            // Same machine-id under a new enrolment id is a reinstall or a cloned image. Either way the old
            // record is never moved to the newcomer: a rejected machine stays rejected, anything else is a
            // new pending device flagged for a person.
            if (await RejectedMachineAsync(request!.MachineId, cancellationToken) is { } rejected)
            {
                logger.LogInformation("Enrolment {EnrollmentId} comes from machine-id {MachineId} of rejected device {DeviceId:N} ({Hostname}); still rejected",
                    enrollmentId, request.MachineId, rejected.Id, rejected.Hostname);
                Reply(batch, responseTopic, new EnrollmentResponse(
                    EnrollmentDecision.Rejected,
                    Reason: $"this machine was rejected by {rejected.DecidedBy} at {rejected.DecidedAt:u}",
                    RetryAfterSeconds: 600));
                return;
            }

            if (await IgnitionPlaceholderAsync(request, cancellationToken) is { } placeholder)
            {
                device = Adopt(placeholder, enrollmentId, request, message, batch, now);
                await FlagConflictsAsync(device, cancellationToken);
                Track(device);
            }
            else
            {
                device = NewDevice(enrollmentId, request, now);
                db.Devices.Add(device);
                await FlagConflictsAsync(device, cancellationToken);
                Track(device);
                batch.AddEvent(device.Id, now, "enrolment", $"Enrolment requested by {device.Hostname} ({device.PrimaryMac})");
                audit.Add(db, Actor.FromDevice(enrollmentId, message.Address), "device.enrol", "device", device.Id.ToString("N"),
                    after: DeviceService.Summary(device), detail: device.Conflict is null ? null : $"conflict: {device.Conflict}");
                logger.LogInformation("New device {DeviceId:N} ({Hostname}, {Mac}) pending approval{Conflict}",
                    device.Id, device.Hostname, device.PrimaryMac, device.Conflict is null ? string.Empty : $"; conflict: {device.Conflict}");
            }
        }
        else
        {
            Refresh(device, request!);
            await FlagConflictsAsync(device, cancellationToken);
            Track(device);
        }

        device.EnrollmentKeyHash = tpmProven && keyHash is not null ? keyHash : device.EnrollmentKeyHash ?? keyHash;
        device.CertificateRequest = request.CertificateRequest ?? device.CertificateRequest;
        device.LastRequestAt = now;
        device.LastRequestSentAt = request.SentAt;
        batch.Changed.Add(device.Id);
        Reply(batch, responseTopic,
            await identity.AfterAsync(device, request, identityStep, now, DecideAsync, cancellationToken));

        // Runs once identities are recorded and a proven EK is on the device, and only without an identity conflict.
        async Task<EnrollmentResponse> DecideAsync()
        {
            if (await policy.DecideAsync(device, request, now, device.EkHash, cancellationToken) is { } approval)
            {
                AutoApprove(device, approval, message, batch, now);
            }

            var answer = Answer(device, request.EnrollmentKey, now);
            if (answer.Decision == EnrollmentDecision.Pending && await policy.IssueClaimCodeAsync(device, now, cancellationToken) is { } claim)
            {
                answer = answer with { ClaimCode = claim.Code, ClaimUrl = claim.Url, ClaimCodeExpiresAt = claim.ExpiresAt };
            }

            return answer;
        }
    }

    /// <summary>
    /// Proof of possession and freshness for a known enrolment: the key bound by its first request must be
    /// presented again, and an approved enrolment (whose answer carries a credential) accepts only a request
    /// newer than the last one. Null when the request may proceed.
    /// </summary>
    private static string? Refused(Device device, EnrollmentRequest request, byte[]? keyHash)
    {
        if (device.EnrollmentKeyHash is { } bound
            && (keyHash is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(bound, keyHash)))
        {
            return "enrollmentKey: does not match the key this enrolment was made with (forged request?)";
        }

        if (device.State == EnrollmentState.Approved)
        {
            if (keyHash is null)
            {
                return "enrollmentKey: missing; an approved enrolment re-issues its credential only to the key holder";
            }

            if (device.LastRequestSentAt is { } last && request.SentAt <= last)
            {
                return $"sentAt: {request.SentAt:O} is not newer than a request already accepted ({last:O}): replayed?";
            }
        }

        return null;
    }

    private void AutoApprove(
        Device device, AutoApproval approval, InboundMessage message, IngestBatch batch, DateTimeOffset now)
    {
        var before = DeviceService.Summary(device);
        device.State = EnrollmentState.Approved;
        device.DecidedAt = now;
        device.DecidedBy = $"policy ({approval.By})";
        device.ApprovedBy = approval.By;
        device.GroupId = approval.GroupId ?? device.GroupId;
        batch.AddEvent(device.Id, now, "decision", $"Approved by policy: {approval.Detail}");
        audit.Add(db, Actor.FromDevice(device.EnrollmentId, message.Address), "device.auto-approve", "device", device.Id.ToString("N"),
            before, DeviceService.Summary(device) + ", credential issued", detail: approval.Detail);
        logger.LogInformation("Device {DeviceId:N} ({Hostname}) approved by policy: {Detail}", device.Id, device.Hostname, approval.Detail);
    }

    /// <summary>
    /// The answer for a device's current state. An approved device gets its credential; asking again, it gets the same
    /// one (see <see cref="DeviceCredentials.Answer"/>), so retries and lost answers never supersede the secret the
    /// agent is about to use.
    /// </summary>
    private EnrollmentResponse Answer(Device device, string? enrollmentKey, DateTimeOffset now)
    {
        switch (device.State)
        {
            case EnrollmentState.Approved when string.IsNullOrEmpty(enrollmentKey):
                // Only a request without a key reaches here (Refused lets none through once the device is approved):
                // the approval in this batch of an agent that has no key yet.
                return credentials.Issue(device, enrollmentKey: null, now);
            case EnrollmentState.Approved:
                var (response, answer) = credentials.Answer(device, enrollmentKey, now);
                if (answer == CredentialAnswer.Reissued)
                {
                    logger.LogInformation(
                        "Credential re-issued to approved device {DeviceId:N} ({Hostname}); "
                            + "its enrolment key proved possession",
                        device.Id,
                        device.Hostname);
                }

                return response;
            case EnrollmentState.Rejected:
                logger.LogInformation("Rejected device {DeviceId:N} ({Hostname}, {Mac}) asked again; still rejected (by {By} at {At})",
                    device.Id, device.Hostname, device.PrimaryMac, device.DecidedBy, device.DecidedAt);
                return new EnrollmentResponse(EnrollmentDecision.Rejected, null, null, $"rejected by {device.DecidedBy} at {device.DecidedAt:u}", 600);
            default:
                var reason = device.Conflict is null ? "waiting for approval in the portal" : ConflictReason;
                return new EnrollmentResponse(EnrollmentDecision.Pending, null, null, reason, options.Value.PendingRetrySeconds);
        }
    }

    private static void Reply(IngestBatch batch, string topic, EnrollmentResponse response) =>
        batch.Reply(topic, response, FleetJson.Default.EnrollmentResponse);

    private void Track(Device device) => index.Track(device);

    private IEnumerable<Device> LocalWithMachineId(string machineId) =>
        index.TrackedWithMachineId(machineId) ?? db.Devices.Local.Where(d => d.MachineId == machineId);

    private async Task<Device?> FindAsync(string enrollmentId, CancellationToken cancellationToken) =>
        index.TryFindByEnrollmentId(enrollmentId, out var known) ? known
        : db.Devices.Local.FirstOrDefault(d => d.EnrollmentId == enrollmentId)
            ?? await db.Devices.Include(d => d.Macs).FirstOrDefaultAsync(d => d.EnrollmentId == enrollmentId, cancellationToken);

    private async Task<KnownDevice?> RejectedMachineAsync(string machineId, CancellationToken cancellationToken)
    {
        if (LocalWithMachineId(machineId).FirstOrDefault(d => d.State == EnrollmentState.Rejected) is { } local)
        {
            return new KnownDevice(local.Id, local.Hostname, local.MachineId, local.State, local.DecidedBy, local.DecidedAt);
        }

        return index.StoredWithMachineId(machineId) is { } stored
            ? stored.FirstOrDefault(d => d.State == EnrollmentState.Rejected)
            : await db.Devices.AsNoTracking().Where(d => d.MachineId == machineId && d.State == EnrollmentState.Rejected)
                .Select(d => new KnownDevice(d.Id, d.Hostname, d.MachineId, d.State, d.DecidedBy, d.DecidedAt))
                .FirstOrDefaultAsync(cancellationToken);
    }

    private async Task FlagConflictsAsync(Device device, CancellationToken cancellationToken)
    {
        var macs = device.Macs.Select(m => m.Mac).ToList();
        var others = index.StoredOwners(macs)?.Where(o => o.Id != device.Id && o.State != EnrollmentState.Decommissioned).ToList()
            ?? await db.DeviceMacs
                .Where(m => macs.Contains(m.Mac) && m.DeviceId != device.Id)
                .Join(db.Devices.Where(d => d.State != EnrollmentState.Decommissioned), m => m.DeviceId, d => d.Id, (m, d) => new MacOwner(m.Mac, d.Id, d.Hostname, d.MachineId, d.EkHash, d.State, d.EnrollmentId, d.AgentVersion))
                .ToListAsync(cancellationToken);
        var tracked = index.TrackedWithMacs(macs)
            ?? db.Devices.Local.SelectMany(d => d.Macs.Where(m => macs.Contains(m.Mac)).Select(m => (m.Mac, Device: d)));
        var local = tracked.Where(x => x.Device.Id != device.Id && x.Device.State != EnrollmentState.Decommissioned)
            .Select(x => new MacOwner(x.Mac, x.Device.Id, x.Device.Hostname, x.Device.MachineId, x.Device.EkHash, x.Device.State, x.Device.EnrollmentId, x.Device.AgentVersion));
        var clash = others.Concat(local).FirstOrDefault();
        if (clash is null)
        {
            var twin = LocalWithMachineId(device.MachineId).Where(d => d.Id != device.Id && d.State != EnrollmentState.Decommissioned)
                    .Select(d => new KnownDevice(d.Id, d.Hostname, d.MachineId, d.State, d.DecidedBy, d.DecidedAt)).FirstOrDefault()
                ?? (index.StoredWithMachineId(device.MachineId) is { } stored
                    ? stored.FirstOrDefault(d => d.Id != device.Id && d.State != EnrollmentState.Decommissioned)
                    : await db.Devices.AsNoTracking()
                        .Where(d => d.Id != device.Id && d.MachineId == device.MachineId && d.State != EnrollmentState.Decommissioned)
                        .Select(d => new KnownDevice(d.Id, d.Hostname, d.MachineId, d.State, d.DecidedBy, d.DecidedAt))
                        .FirstOrDefaultAsync(cancellationToken));
            if (twin is not null)
            {
                device.Conflict = $"machine-id {device.MachineId} already belongs to device {twin.Hostname} ({twin.Id:N}): reinstalled, or a cloned image";
                logger.LogWarning("Device {DeviceId:N} ({Hostname}) presents the machine-id of device {OtherId:N} ({OtherHost}); flagged, not merged",
                    device.Id, device.Hostname, twin.Id, twin.Hostname);
            }
        }
        else
        {
            device.Conflict = $"MAC {clash.Mac} already belongs to device {clash.Hostname} ({clash.Id:N}, machine-id {clash.MachineId})";
            logger.LogWarning("Device {DeviceId:N} ({Hostname}) presents MAC {Mac} of another device {OtherId:N} ({OtherHost}); flagged, not merged",
                device.Id, device.Hostname, clash.Mac, clash.Id, clash.Hostname);
        }
    }

    /// <summary>
    /// The Pending record <c>GET /ignition?mac=</c> made when this machine, not yet known, asked for its config
    /// (PXE install): no agent has enrolled it yet and it holds one of the MACs the agent presents.
    /// </summary>
    private async Task<Device?> IgnitionPlaceholderAsync(EnrollmentRequest request, CancellationToken cancellationToken)
    {
        var macs = request.Interfaces.Select(n => MacAddress.TryNormalize(n.Mac, out var mac) ? mac : null).OfType<string>().ToList();
        var prefix = Configs.IgnitionEndpoints.PendingEnrollmentPrefix;
        bool Placeholder(string enrollmentId, string agentVersion) => enrollmentId.StartsWith(prefix, StringComparison.Ordinal) && agentVersion.Length == 0;
        var local = (index.TrackedWithMacs(macs)?.Select(x => x.Device) ?? db.Devices.Local.Where(d => d.Macs.Any(m => macs.Contains(m.Mac))))
            .FirstOrDefault(d => Placeholder(d.EnrollmentId, d.AgentVersion));
        if (local is not null || macs.Count == 0)
        {
            return local;
        }

        var id = index.StoredOwners(macs) is { } owners
            ? owners.Where(o => Placeholder(o.EnrollmentId, o.AgentVersion)).Select(o => o.Id).FirstOrDefault()   // the batch preload saw every stored holder
            : await db.DeviceMacs.Where(m => macs.Contains(m.Mac))
                .Join(db.Devices, m => m.DeviceId, d => d.Id, (m, d) => d)
                .Where(d => d.EnrollmentId.StartsWith(prefix) && d.AgentVersion == string.Empty)
                .Select(d => d.Id)
                .FirstOrDefaultAsync(cancellationToken);
        if (id == Guid.Empty)
        {
            return null;
        }

        // Tracked and already adopted by an earlier request of this batch: no longer a placeholder.
        var device = await db.Devices.Include(d => d.Macs).FirstAsync(d => d.Id == id, cancellationToken);
        return Placeholder(device.EnrollmentId, device.AgentVersion) ? device : null;
    }

    /// <summary>
    /// The agent takes over the record its machine got at PXE time: one device, its history, group and
    /// variables kept. An approval given then covered the Ignition config only: a MAC can be forged, so the
    /// credential waits for a person again unless a policy (token, pre-registration) approves it.
    /// </summary>
    private Device Adopt(
        Device placeholder,
        string enrollmentId,
        EnrollmentRequest request,
        InboundMessage message,
        IngestBatch batch,
        DateTimeOffset now)
    {
        var before = DeviceService.Summary(placeholder);
        var formerId = placeholder.EnrollmentId;
        placeholder.EnrollmentId = enrollmentId;
        placeholder.MachineId = request.MachineId;
        Refresh(placeholder, request);
        if (placeholder.State == EnrollmentState.Approved)
        {
            placeholder.State = EnrollmentState.Pending;
        }

        batch.AddEvent(placeholder.Id, now, "enrolment",
            $"Agent enrolled {placeholder.Hostname}; it takes over the record made when the machine asked for its Ignition config ({formerId})");
        audit.Add(db, Actor.FromDevice(enrollmentId, message.Address), "device.adopt", "device", placeholder.Id.ToString("N"),
            before, DeviceService.Summary(placeholder), detail: $"from {formerId}");
        logger.LogInformation("Device {DeviceId:N} ({Hostname}): agent enrolment {EnrollmentId} adopted the record of {FormerId}",
            placeholder.Id, placeholder.Hostname, enrollmentId, formerId);
        return placeholder;
    }

    private static Device NewDevice(string enrollmentId, EnrollmentRequest request, DateTimeOffset now)
    {
        var device = new Device
        {
            Id = Guid.NewGuid(),
            EnrollmentId = enrollmentId,
            State = EnrollmentState.Pending,
            MachineId = request.MachineId,
            Hostname = request.Hostname,
            Architecture = request.Architecture,
            Kernel = request.Kernel,
            OsName = string.Empty,
            OsReleaseJson = "{}",
            PrimaryMac = string.Empty,
            AgentVersion = request.AgentVersion,
            FirstSeenAt = now,
        };
        Refresh(device, request);
        return device;
    }

    /// <summary>Copies what the device says about itself; MACs are added, never dropped (history of identities).</summary>
    private static void Refresh(Device device, EnrollmentRequest request)
    {
        device.Hostname = request.Hostname;
        device.Architecture = request.Architecture;
        device.Kernel = request.Kernel;
        device.AgentVersion = request.AgentVersion;
        device.SerialNumber = request.SerialNumber;
        device.OsReleaseJson = JsonSerializer.Serialize(request.OsRelease, OsReleaseJson.Default.IReadOnlyDictionaryStringString);
        device.OsName = request.OsRelease.TryGetValue("PRETTY_NAME", out var pretty) ? pretty
            : $"{request.OsRelease.GetValueOrDefault("ID", "linux")} {request.OsRelease.GetValueOrDefault("VERSION_ID", string.Empty)}".Trim();

        var primary = request.Interfaces.FirstOrDefault(n => n.IsPrimary) ?? request.Interfaces[0];
        foreach (var nic in request.Interfaces)
        {
            MacAddress.TryNormalize(nic.Mac, out var mac);
            var row = device.Macs.FirstOrDefault(m => m.Mac == mac);
            if (row is null)
            {
                row = new DeviceMac { Mac = mac, InterfaceName = nic.Name };
                device.Macs.Add(row);
            }

            row.InterfaceName = nic.Name;
            row.IsPrimary = nic == primary;
            if (row.IsPrimary)
            {
                device.PrimaryMac = mac;
            }
        }

        foreach (var stale in device.Macs.Where(m => m.IsPrimary && m.Mac != device.PrimaryMac))
        {
            stale.IsPrimary = false;
        }
    }

    private static EnrollmentResponse Invalid(string reason) => new(EnrollmentDecision.Invalid, null, null, reason, 300);
}
