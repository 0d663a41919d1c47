using System.Security.Cryptography;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Enrolment ids are the bootstrap client id, so whoever knows one can take over that client's session
/// and read its credential when it is approved: they must be unguessable, hence 128 random bits.
/// </summary>
public static class EnrollmentIds
{
    private const int HexLength = 32;

    /// <summary>A new enrolment key: 256 random bits, base64url. It proves to the portal that a later request comes from this agent.</summary>
    public static string NewKey() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string NewRandom() => FromBytes(RandomNumberGenerator.GetBytes(HexLength / 2));

    public static string FromBytes(ReadOnlySpan<byte> sixteenBytes)
    {
        if (sixteenBytes.Length != HexLength / 2)
        {
            throw new ArgumentException("An enrolment id is made of 16 bytes.", nameof(sixteenBytes));
        }

        return Topics.EnrollmentClientIdPrefix + Convert.ToHexStringLower(sixteenBytes);
    }

    /// <summary>Whether <paramref name="value"/> is <c>enroll-</c> followed by 32 lower-case hex digits, as the broker requires.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != Topics.EnrollmentClientIdPrefix.Length + HexLength
            || !value.StartsWith(Topics.EnrollmentClientIdPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in value.AsSpan(Topics.EnrollmentClientIdPrefix.Length))
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
