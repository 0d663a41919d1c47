using System.Security.Cryptography;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using MQTTnet.Packets;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Proof of the enrolment key on a bootstrap CONNECT. The enrolment id is the bootstrap client id: accepting a
/// second CONNECT with it would end the real agent's session (MQTT session takeover) and hand the newcomer the
/// credential that approval publishes. Once an enrolment has a bound key (<see cref="Device.EnrollmentKeyHash"/>,
/// set by its first request), only a CONNECT presenting that key in the <see cref="Topics.EnrollmentKeyProperty"/>
/// user property is accepted. An enrolment id with no row, or a row without a bound key (an agent that sends no
/// key, a record made at PXE time), is accepted on the id alone, as before.
/// </summary>
internal static class BootstrapKeyCheck
{
    /// <summary>Longer values are not keys (the agent's is 43 characters); they are refused without hashing.</summary>
    private const int MaxKeyLength = 256;

    // Every bootstrap CONNECT runs it (hundreds a second in a roll-out): compiled once, one lookup on a unique index.
    private static readonly Func<FleetDbContext, string, CancellationToken, Task<byte[]?>> BoundKeyOf =
        EF.CompileAsyncQuery((FleetDbContext db, string enrollmentId, CancellationToken _) => db.Devices.AsNoTracking()
            .Where(d => d.EnrollmentId == enrollmentId)
            .Select(d => d.EnrollmentKeyHash)
            .FirstOrDefault());

    /// <summary>Null when the bootstrap CONNECT of <paramref name="enrollmentId"/> may proceed; else why not.</summary>
    public static async Task<string?> RefusalAsync(
        IDbContextFactory<FleetDbContext> dbFactory,
        string enrollmentId,
        IReadOnlyCollection<MqttUserProperty>? properties,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dbFactory);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return Refusal(await BoundKeyOf(db, enrollmentId, cancellationToken), PresentedKey(properties));
    }

    /// <summary>The decision: a bound key must be presented, and match; no bound key, nothing to prove.</summary>
    public static string? Refusal(byte[]? boundKeyHash, string? presentedKey)
    {
        if (boundKeyHash is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(presentedKey))
        {
            return $"this enrolment is bound to an enrolment key and the CONNECT presents none "
                + $"(user property '{Topics.EnrollmentKeyProperty}'; an agent too old to send it?)";
        }

        return presentedKey.Length <= MaxKeyLength
            && CryptographicOperations.FixedTimeEquals(boundKeyHash, DeviceCredentials.Hash(presentedKey))
            ? null
            : "the enrolment key presented does not match the key this enrolment is bound to";
    }

    /// <summary>The value of the first <see cref="Topics.EnrollmentKeyProperty"/> user property, if any.</summary>
    public static string? PresentedKey(IReadOnlyCollection<MqttUserProperty>? properties) =>
        properties?.FirstOrDefault(p => p.Name == Topics.EnrollmentKeyProperty) is { } property
            ? property.ReadValueAsString()
            : null;
}
