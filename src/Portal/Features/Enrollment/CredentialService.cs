using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// A device's credential over its life: rotate (on demand or on schedule), revoke, decommission,
/// re-enrol. Revocation and decommissioning end the live MQTT session at once.
/// </summary>
public sealed class CredentialService(
    IDbContextFactory<FleetDbContext> dbFactory,
    DeviceCredentials credentials,
    IOptions<TlsOptions> tls,
    ActorAuthorizer authorizer,
    AuditLog audit,
    IDevicePublisher publisher,
    IDeviceSessions sessions,
    DeviceNotifier notifier,
    TimeProvider time,
    ILogger<CredentialService> logger)
{
    /// <summary>
    /// Publishes a new secret to the (online) device. The old one keeps working until the device connects
    /// with the new one; then the broker makes the new one the only one.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<bool>> RotateAsync(Guid id, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.credential.rotate", "device", id.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not manage device credentials.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return Outcome.NotFound($"There is no device with id {id:N}.");
        }

        if (device.State != EnrollmentState.Approved)
        {
            return Outcome.Invalid("state", $"the device is {device.State}; only an approved device has a credential");
        }

        if (!device.IsOnline)
        {
            return Outcome.Conflict("the device is offline; a new credential is delivered over its live connection");
        }

        await RotateAsync(db, device, actor, cancellationToken);
        return Outcome.Of(true);
    }

    /// <summary>
    /// Rotates online devices whose credential is older than <paramref name="maxAge"/> (null: no age limit), or whose
    /// certificate is in the last third of its life (<see cref="TlsOptions.DeviceCertificateDays"/>); returns how
    /// many.
    /// </summary>
    internal async Task<int> RotateDueAsync(TimeSpan? maxAge, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var cutoff = maxAge is { } age ? now - age : DateTimeOffset.MinValue;
        var renewBefore = now + TimeSpan.FromDays(tls.Value.DeviceCertificateDays / 3.0);
        var due = await db.Devices
            .Where(d => d.State == EnrollmentState.Approved && d.IsOnline && d.PendingCredentialHash == null
                && (d.CredentialIssuedAt < cutoff || d.CertificateNotAfter < renewBefore))
            .OrderBy(d => d.CredentialIssuedAt)
            .Take(limit)
            .ToListAsync(cancellationToken);
        foreach (var device in due)
        {
            await RotateAsync(db, device, Actor.System, cancellationToken);
        }

        return due.Count;
    }

    /// <summary>Kills the credential now (the live session is ended); the device waits, pending, for a person to approve it again.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome<bool>> RevokeAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        EndCredentialAsync(id, actor, "device.credential.revoke", cancellationToken);

    /// <summary>Forgets the device: the credential dies now, the record and its history stay for audit, and the device may enrol again as a new one.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome<bool>> DecommissionAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        EndCredentialAsync(id, actor, "device.decommission", cancellationToken);

    /// <summary>
    /// Starts enrolment over: the credential is dropped and the policies decide afresh. The enrolment key stays
    /// bound, so only the agent holding it can open the bootstrap session again (the id alone is not enough).
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public Task<Outcome<bool>> ReEnrollAsync(Guid id, Actor actor, CancellationToken cancellationToken = default) =>
        EndCredentialAsync(id, actor, "device.re-enrol", cancellationToken);

    private async Task<Outcome<bool>> EndCredentialAsync(
        Guid id, Actor actor, string action, CancellationToken cancellationToken)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, action, "device", id.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not manage device credentials.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return Outcome.NotFound($"There is no device with id {id:N}.");
        }

        if (device.State == EnrollmentState.Decommissioned)
        {
            return Outcome.Invalid("state", "the device is decommissioned");
        }

        var now = time.GetUtcNow();
        var before = DeviceService.Summary(device);
        device.CredentialHash = null;
        device.PendingCredentialHash = null;
        DeviceCredentials.Revoke(device);
        device.IsOnline = false;
        string text;
        switch (action)
        {
            case "device.decommission":
                device.State = EnrollmentState.Decommissioned;
                device.DecommissionedAt = now;
                device.DecidedAt = now;
                device.DecidedBy = actor.Name;

                // The enrolment id is freed: the same agent asking again is a new device, decided afresh.
                device.EnrollmentId = $"decommissioned-{device.Id:N}";
                text = $"Decommissioned by {actor.Name}; credential revoked, record kept";
                break;
            case "device.re-enrol":
                device.State = EnrollmentState.Pending;
                device.DecidedAt = null;
                device.DecidedBy = null;
                device.ApprovedBy = null;
                device.LastRequestSentAt = null;
                text = $"Sent back to enrolment by {actor.Name}; credential revoked";
                break;
            default:
                // Pending but decided: no policy approves it again, a person must.
                device.State = EnrollmentState.Pending;
                device.DecidedAt = now;
                device.DecidedBy = actor.Name;
                device.ApprovedBy = null;
                text = $"Credential revoked by {actor.Name}; waiting for a person to approve it again";
                break;
        }

        db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = now, Kind = "credential", Message = text });
        audit.Add(db, actor, action, "device", id.ToString("N"), before, DeviceService.Summary(device) + ", credential revoked");
        await db.SaveChangesAsync(cancellationToken);
        var wasConnected = await sessions.DisconnectAsync(id.ToString("N"), cancellationToken);
        if (action == "device.decommission")
        {
            sessions.ForgetRetained(id.ToString("N"));
        }

        logger.LogInformation("{Action} of device {DeviceId:N} ({Hostname}) by {Actor}; live session {Session}",
            action, id, device.Hostname, actor.Name, wasConnected ? "ended" : "none");
        notifier.Notify([id]);
        return Outcome.Of(wasConnected);
    }

    private async Task RotateAsync(FleetDbContext db, Device device, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = DeviceCredentials.NewSecret();
        device.PendingCredentialHash = DeviceCredentials.Hash(secret);
        device.PendingCredentialIssuedAt = now;

        // A device with a key gets a renewed certificate for it with the secret: the key never leaves the device.
        var certificate = credentials.Certify(device);
        DeviceCredentials.SetPending(device, certificate);
        var rotation = new CredentialRotation(Guid.NewGuid().ToString("N"), secret, now, certificate?.Pem,
            certificate is null ? null : credentials.CaCertificates);
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = device.Id, At = now, Kind = "credential", Message = $"Credential rotation {rotation.RotationId[..8]} sent by {actor.Name}" });
        audit.Add(db, actor, "device.credential.rotate", "device", device.Id.ToString("N"), detail: $"rotation {rotation.RotationId}");
        await db.SaveChangesAsync(cancellationToken);
        await publisher.PublishAsync(Topics.Credential(device.Id.ToString("N")),
            JsonSerializer.SerializeToUtf8Bytes(rotation, FleetJson.Default.CredentialRotation), cancellationToken);
        logger.LogInformation("Credential rotation {RotationId} sent to device {DeviceId:N} ({Hostname}) by {Actor}", rotation.RotationId, device.Id, device.Hostname, actor.Name);
    }
}
