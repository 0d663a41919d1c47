using System.Security.Cryptography;
using System.Text;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Enrolment tokens and claim codes: random, shown once, stored as SHA-256 only. A token has 192 bits,
/// a claim code 49.5 (10 characters of 31); a code's short life, single use and the rate limits on
/// the Claim page make brute force hopeless (2^49 guesses at 120 a minute).
/// </summary>
public static class EnrollmentSecrets
{
    /// <summary>31 characters: no 0/O, 1/I/L, so what is left reads unambiguously on a console in any font.</summary>
    public const string ClaimAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    public const string TokenPrefix = "fet_";

    public const int ClaimCodeLength = 10;

    public static string NewToken() =>
        TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>A new claim code as shown: <c>XXXX-XXXX-XX</c>.</summary>
    public static string NewClaimCode()
    {
        Span<char> chars = stackalloc char[ClaimCodeLength];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = ClaimAlphabet[RandomNumberGenerator.GetInt32(ClaimAlphabet.Length)];
        }

        return $"{chars[..4]}-{chars[4..8]}-{chars[8..]}";
    }

    /// <summary>
    /// What a person typed, as the code it means: case, spaces and dashes ignored. Null when it cannot be a code.
    /// </summary>
    public static string? NormalizeClaimCode(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var builder = new StringBuilder(ClaimCodeLength);
        foreach (var raw in typed)
        {
            if (raw is '-' or ' ' or '\t')
            {
                continue;
            }

            var c = char.ToUpperInvariant(raw);
            if (!ClaimAlphabet.Contains(c, StringComparison.Ordinal) || builder.Length == ClaimCodeLength)
            {
                return null;
            }

            builder.Append(c);
        }

        return builder.Length == ClaimCodeLength ? builder.ToString() : null;
    }

    public static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
