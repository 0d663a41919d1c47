using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.Shared;

namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>Phased rollouts: how far a release has rolled out, and how wary a client is.</summary>
public static class Rollout
{
    /// <summary>Lowest derived wariness; upstream leaves 0 to clients that ask for it explicitly.</summary>
    public const double ComputedMinimum = 0.000_001;

    /// <summary>
    /// The share of clients (0 to 1) offered <paramref name="release"/> at <paramref name="now"/>. Mirrors
    /// <c>throttle_rollouts</c> in coreos/fedora-coreos-cincinnati <c>commons/src/policy.rs</c>: start epoch
    /// and start value default to 0; the duration is at least one minute; before the start nobody gets it,
    /// after the end everybody; in between start_value + (1 − start_value)·(now − start)/(duration·60);
    /// without a duration the rollout stays at its start value. Seconds are whole, as upstream. A release
    /// that is not rolling out is not throttled (1).
    /// </summary>
    public static double Throttle(Release release, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (!release.HasRollout)
        {
            return 1;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        var start = release.RolloutStartEpoch ?? 0;
        var startValue = release.RolloutStartPercentage ?? 0;
        double throttle;
        if (release.RolloutDurationMinutes is { } minutes)
        {
            var end = start + (Math.Max(minutes, 1) * 60);
            var rate = (1.0 - startValue) / (end - start);
            throttle = nowSeconds < start ? 0 : nowSeconds > end ? 1 : startValue + (rate * (nowSeconds - start));
        }
        else
        {
            throttle = nowSeconds < start ? 0 : startValue;
        }

        return Math.Clamp(throttle, 0, 1);
    }

    /// <summary>True when a client of this wariness does not see edges into the release yet.</summary>
    public static bool IsHiddenFrom(Release release, double wariness, DateTimeOffset now) =>
        release is { HasRollout: true } && wariness > Throttle(release, now);

    /// <summary>
    /// The client's wariness: the <c>rollout_wariness</c> it sent, clamped to [0, 1], or else one derived
    /// from its node UUID. Upstream (fcos-policy-engine <c>compute_wariness</c>) hashes the UUID with Rust's
    /// <c>DefaultHasher</c>, whose algorithm Rust does not promise to keep; Fleet uses a hash that stays put:
    /// the first 8 bytes of SHA-256 over the UUID's canonical form (32 lower-case hex digits; the string as
    /// sent when it is not a UUID, the empty string when absent) read as a big-endian unsigned 64-bit
    /// integer, divided by 2^64 − 1 and clamped to [0.000001, 1], the range upstream uses. So a device's
    /// place in every rollout is fixed, and devices spread evenly over it.
    /// </summary>
    public static double Wariness(string? rolloutWariness, string? nodeUuid)
    {
        if (ParseWariness(rolloutWariness) is { } given)
        {
            return given;
        }

        return DerivedWariness(nodeUuid);
    }

    public static double DerivedWariness(string? nodeUuid)
    {
        var canonical = NodeUuid.Normalize(nodeUuid) ?? nodeUuid ?? string.Empty;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest);
        return Math.Clamp(value / (double)ulong.MaxValue, ComputedMinimum, 1.0);
    }

    /// <summary>A wariness as sent (Zincati formats it <c>0.500000</c>), clamped; null when absent or not a finite number.</summary>
    public static double? ParseWariness(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed)
            ? Math.Clamp(parsed, 0, 1)
            : null;
}
