using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
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
/// pending one confirming a rotation. Bad passwords lead to lock-outs (<see cref="ConnectionGuard"/>).
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
                d.State, d.CredentialHash, d.PendingCredentialHash, d.PendingCredentialIssuedAt))
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

        var password = attempt.Password is null ? null : Encoding.UTF8.GetString(attempt.Password);
        if (!DeviceCredentials.Verify(password, device.CredentialHash))
        {
            if (!DeviceCredentials.Verify(password, device.PendingCredentialHash))
            {
                const string Wrong = "wrong device secret (revoked or re-issued credential?)";
                return (ConnectVerdict.Refuse(MqttConnectReasonCode.BadUserNameOrPassword, Wrong), true);
            }

            // The device confirms a rotation by using the new secret: from now on it is the only one.
            var pending = device.PendingCredentialHash;
            await db.Devices.Where(d => d.Id == deviceId && d.PendingCredentialHash == pending)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(d => d.CredentialHash, pending)
                    .SetProperty(d => d.CredentialIssuedAt, device.PendingCredentialIssuedAt)
                    .SetProperty(d => d.PendingCredentialHash, (byte[]?)null), cancellationToken);
            logger.LogInformation(
                "Device {DeviceId:N} connected with its rotated credential; the previous one is revoked", deviceId);
        }

        return (ConnectVerdict.Accept(new ClientIdentity(ClientKind.Device, attempt.UserName!, attempt.Address)), true);
    }

    [GeneratedRegex("^enroll-[0-9a-f]{32}$")]
    private static partial Regex EnrollmentClientId();

    /// <summary>What a device's CONNECT is checked against.</summary>
    private sealed record DeviceCredentialRow(
        EnrollmentState State,
        byte[]? CredentialHash,
        byte[]? PendingCredentialHash,
        DateTimeOffset? PendingCredentialIssuedAt);
}
