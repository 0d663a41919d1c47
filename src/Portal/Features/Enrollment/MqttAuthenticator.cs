using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Who may connect to the broker: an enrolling agent as <c>bootstrap</c> with an <c>enroll-…</c> client id (and its
/// bound enrolment key, <see cref="BootstrapKeyCheck"/>), or an approved device with its own id and credential, the
/// pending one confirming a rotation. Bad passwords lead to lock-outs (<see cref="ConnectionGuard"/>). On the MQTTS
/// port a device may instead present its client certificate: issued by the portal CA, valid now, its subject the
/// client id, its serial the device's current (or pending) one; a password is then not needed, and one is accepted
/// only where the device's group allows passwords.
/// </summary>
internal sealed partial class MqttAuthenticator(
    IOptions<MqttOptions> options,
    IDbContextFactory<FleetDbContext> dbFactory,
    ConnectionGuard guard,
    ILogger<MqttAuthenticator> logger) : IClientAuthenticator
{
    // What a device's CONNECT is checked against: compiled once, as every device connection runs it.
    private static readonly Func<FleetDbContext, Guid, CancellationToken, Task<DeviceCredentialRow?>> CredentialOf =
        EF.CompileAsyncQuery((FleetDbContext db, Guid id, CancellationToken _) => db.Devices.AsNoTracking()
            .Where(d => d.Id == id)
            .Select(d => new DeviceCredentialRow(
                d.State, d.CredentialHash, d.PendingCredentialHash, d.PendingCredentialIssuedAt,
                d.CertificateSerial, d.PendingCertificateSerial,
                db.DeviceGroups.Where(g => g.Id == (d.GroupId ?? Updates.DeviceGroup.DefaultId))
                    .Select(g => g.PasswordsAllowed).FirstOrDefault()))
            .SingleOrDefault());

    public async Task<ConnectVerdict> AuthenticateAsync(ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (guard.LockedUntil(attempt.Address, attempt.ClientId) is { } until)
        {
            return ConnectVerdict.Refuse(MqttConnectReasonCode.Banned,
                $"locked out after repeated bad passwords until {until:u}");
        }

        var (verdict, knownClient) = await DecideAsync(attempt, cancellationToken);
        if (verdict.Code == MqttConnectReasonCode.BadUserNameOrPassword
            && guard.BadPassword(attempt.Address, attempt.ClientId, knownClient) is { } lockedUntil)
        {
            logger.LogWarning(
                "MQTT {Scope} locked out until {Until:u} after bad passwords (client id {ClientId}, user {User})",
                knownClient ? $"client at {attempt.Address}" : $"address {attempt.Address}",
                lockedUntil,
                ConnectAttempt.Printable(attempt.ClientId),
                ConnectAttempt.Printable(attempt.UserName));
        }
        else if (verdict.Identity is not null)
        {
            guard.GoodPassword(attempt.Address, attempt.ClientId);
        }

        return verdict;
    }

    public string? EnrollmentRefusal(ClientIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return guard.EnrollmentLimited(identity.Id, identity.Address);
    }

    /// <summary>
    /// The verdict, and whether the client id names something the portal knows (a device, an enrolment with a bound
    /// key): that decides how bad passwords are counted (<see cref="ConnectionGuard.BadPassword"/>).
    /// </summary>
    private async Task<(ConnectVerdict Verdict, bool KnownClient)> DecideAsync(
        ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        if (attempt.Certificate is not null)
        {
            return await CertificateVerdictAsync(attempt, attempt.Certificate, cancellationToken);
        }

        if (attempt.UserName == Topics.BootstrapUserName)
        {
            if (!EnrollmentClientId().IsMatch(attempt.ClientId ?? string.Empty))
            {
                const string Format = "bootstrap client id must be 'enroll-' and 32 hex digits";
                return (ConnectVerdict.Refuse(MqttConnectReasonCode.ClientIdentifierNotValid, Format), false);
            }

            var expected = Encoding.UTF8.GetBytes(options.Value.BootstrapPassword);
            if (expected.Length > 0 && !CryptographicOperations.FixedTimeEquals(expected, attempt.Password ?? []))
            {
                const string Wrong = "wrong bootstrap password";
                return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, Wrong), false);
            }

            var refusal = await BootstrapKeyCheck.RefusalAsync(
                dbFactory, attempt.ClientId!, attempt.UserProperties, cancellationToken);
            if (refusal is not null)
            {
                // Only an enrolment with a bound key is refused here: a known client.
                return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, refusal), true);
            }

            return (ConnectVerdict.Accept(new ClientIdentity(ClientKind.Bootstrap, attempt.ClientId!, attempt.Address)),
                true);
        }

        if (!Guid.TryParseExact(attempt.UserName, "N", out var deviceId))
        {
            const string Neither = "user name is neither 'bootstrap' nor a device id";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, Neither), false);
        }

        if (attempt.ClientId != attempt.UserName)
        {
            const string NotItsId = "a device must use its device id as client id";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.ClientIdentifierNotValid, NotItsId), false);
        }

        return await DeviceVerdictAsync(deviceId, attempt, cancellationToken);
    }

    private async Task<(ConnectVerdict Verdict, bool KnownClient)> DeviceVerdictAsync(
        Guid deviceId, ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await CredentialOf(db, deviceId, cancellationToken);
        if (device is null)
        {
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, "unknown device id"), false);
        }

        if (device.State != EnrollmentState.Approved)
        {
            var notApproved = $"device is {device.State}, not approved";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.NotAuthorized, notApproved), true);
        }

        if (!device.PasswordsAllowed)
        {
            const string CertificateOnly = "the device's group refuses passwords: connect with the client certificate";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.NotAuthorized, CertificateOnly), true);
        }

        var password = attempt.Password is null ? null : Encoding.UTF8.GetString(attempt.Password);
        if (!DeviceCredentials.Verify(password, device.CredentialHash))
        {
            if (!DeviceCredentials.Verify(password, device.PendingCredentialHash))
            {
                const string Wrong = "wrong device secret (revoked or re-issued credential?)";
                return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, Wrong), true);
            }

            await PromoteAsync(db, deviceId, device, cancellationToken);
        }

        return (ConnectVerdict.Accept(new ClientIdentity(ClientKind.Device, attempt.UserName!, attempt.Address)), true);
    }

    /// <summary>
    /// A client certificate stands for the password: the device is its subject's common name, which must be the
    /// client id (and the user name, if one is sent); the serial must be the device's current or pending one, so a
    /// revoked or superseded certificate is refused at its next CONNECT.
    /// </summary>
    private async Task<(ConnectVerdict Verdict, bool KnownClient)> CertificateVerdictAsync(
        ConnectAttempt attempt, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        CancellationToken cancellationToken)
    {
        // The listener's handshake has checked that the portal CA issued it and that it is valid now.
        var subject = certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName,
            forIssuer: false);
        if (subject != attempt.ClientId || (attempt.UserName is { Length: > 0 } user && user != subject)
            || !Guid.TryParseExact(subject, "N", out var deviceId))
        {
            var other = $"client certificate is for '{ConnectAttempt.Printable(subject)}', not this client id";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.ClientIdentifierNotValid, other), false);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await CredentialOf(db, deviceId, cancellationToken);
        if (device is not { State: EnrollmentState.Approved })
        {
            var state = device is null ? "unknown device" : $"device is {device.State}, not approved";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.NotAuthorized, state), device is not null);
        }

        var serial = certificate.SerialNumber;
        var password = attempt.Password is null ? null : Encoding.UTF8.GetString(attempt.Password);
        var rotated = serial == device.PendingCertificateSerial;
        if (!rotated && serial != device.CertificateSerial)
        {
            const string Revoked = "client certificate revoked or superseded";
            return (ConnectVerdict.Refuse(MqttConnectReasonCode.NotAuthorized, Revoked), true);
        }

        if (rotated || DeviceCredentials.Verify(password, device.PendingCredentialHash))
        {
            await PromoteAsync(db, deviceId, device, cancellationToken);
        }

        return (ConnectVerdict.Accept(new ClientIdentity(ClientKind.Device, subject, attempt.Address)), true);
    }

    /// <summary>
    /// The device confirms a rotation by using its new secret or certificate: from now on they are its only ones.
    /// </summary>
    private async Task PromoteAsync(FleetDbContext db, Guid deviceId, DeviceCredentialRow device,
        CancellationToken cancellationToken)
    {
        var pending = device.PendingCredentialHash;
        var certificate = device.PendingCertificateSerial is null ? null
            : await db.Devices.AsNoTracking().Where(d => d.Id == deviceId).Select(d => d.PendingCertificatePem)
                .SingleOrDefaultAsync(cancellationToken) is var pem ? IssuedCertificate.Read(pem) : null;
        var promoted = await db.Devices
            .Where(d => d.Id == deviceId && d.PendingCredentialHash == pending
                && d.PendingCertificateSerial == device.PendingCertificateSerial)
            .ExecuteUpdateAsync(u => u
                .SetProperty(d => d.CredentialHash, d => pending ?? d.CredentialHash)
                .SetProperty(d => d.CredentialIssuedAt, d => pending == null ? d.CredentialIssuedAt
                    : device.PendingCredentialIssuedAt)
                .SetProperty(d => d.PendingCredentialHash, (byte[]?)null)
                .SetProperty(d => d.CertificatePem, d => certificate == null ? d.CertificatePem : certificate.Pem)
                .SetProperty(d => d.CertificateSerial, d => certificate == null ? d.CertificateSerial
                    : certificate.Serial)
                .SetProperty(d => d.CertificateNotAfter, d => certificate == null ? d.CertificateNotAfter
                    : certificate.NotAfter)
                .SetProperty(d => d.CertificateFingerprint, d => certificate == null ? d.CertificateFingerprint
                    : certificate.Fingerprint)
                .SetProperty(d => d.PendingCertificatePem, (string?)null)
                .SetProperty(d => d.PendingCertificateSerial, (string?)null), cancellationToken);
        if (promoted > 0)
        {
            logger.LogInformation(
                "Device {DeviceId:N} connected with its rotated credential; the previous one is revoked", deviceId);
        }
    }

    [GeneratedRegex("^enroll-[0-9a-f]{32}$")]
    private static partial Regex EnrollmentClientId();

    /// <summary>What a device's CONNECT is checked against.</summary>
    private sealed record DeviceCredentialRow(
        EnrollmentState State,
        byte[]? CredentialHash,
        byte[]? PendingCredentialHash,
        DateTimeOffset? PendingCredentialIssuedAt,
        string? CertificateSerial,
        string? PendingCertificateSerial,
        bool PasswordsAllowed);
}
