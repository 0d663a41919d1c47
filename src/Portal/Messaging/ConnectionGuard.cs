using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The broker's defences against abuse: a token bucket on enrolment requests per client id and per
/// address, and a growing lock-out of an address after repeated bad passwords. Everything is in memory
/// (lost on restart, which only forgives).
/// </summary>
internal sealed class ConnectionGuard
{
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBuckets _perClient;
    private readonly TokenBuckets _perAddress;
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    public ConnectionGuard(IOptions<MqttOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        var o = _options;
        _perClient = new TokenBuckets(o.EnrollmentBurstPerClient, o.EnrollmentRequestsPerClientPerMinute / 60.0, time);
        _perAddress = new TokenBuckets(o.EnrollmentBurstPerAddress, o.EnrollmentRequestsPerAddressPerSecond, time);
    }

    /// <summary>Whether an enrolment request from this client and address may go on; null if so, else which limit it hit.</summary>
    public string? EnrollmentLimited(string clientId, string? address)
    {
        if (!_perClient.TryTake(clientId))
        {
            return "per client id";
        }

        return _perAddress.TryTake(address ?? "(unknown)") ? null : "per address";
    }

    /// <summary>
    /// When this address (for this user, or for everyone) is locked out after bad passwords; null if it is not.
    /// Counting per address and user name first means one device with a stale secret behind a site's NAT
    /// locks out only itself; a guesser trying many identities from one address trips the per-address limit.
    /// </summary>
    public DateTimeOffset? LockedUntil(string? address, string? user)
    {
        if (address is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var own = _failures.TryGetValue(Key(address, user), out var f) && f.LockedUntil > now ? f.LockedUntil : (DateTimeOffset?)null;
        var all = _failures.TryGetValue(address, out var a) && a.LockedUntil > now ? a.LockedUntil : (DateTimeOffset?)null;
        return own > all || all is null ? own : all;
    }

    /// <summary>Counts a bad password from <paramref name="address"/> for <paramref name="user"/>; returns the lock-out it earned, if any.</summary>
    public DateTimeOffset? BadPassword(string? address, string? user)
    {
        if (address is null || _options.BadPasswordsBeforeLockout == 0)
        {
            return null;
        }

        var own = Count(Key(address, user), _options.BadPasswordsBeforeLockout);
        var all = Count(address, _options.BadPasswordsPerAddressBeforeLockout);
        return own > all || all is null ? own : all;
    }

    /// <summary>A good password forgives this user at this address (not the address as a whole).</summary>
    public void GoodPassword(string? address, string? user)
    {
        if (address is not null)
        {
            _failures.TryRemove(Key(address, user), out _);
        }
    }

    private DateTimeOffset? Count(string key, int threshold)
    {
        var now = _time.GetUtcNow();
        var f = _failures.GetOrAdd(key, _ => new Failures());
        lock (f)
        {
            if (now - f.LastAt > TimeSpan.FromMinutes(15))
            {
                f.Count = 0;
            }

            f.Count++;
            f.LastAt = now;
            if (f.Count < threshold)
            {
                return null;
            }

            // Doubles with every further failure: 1, 2, 4… times the base, up to the cap.
            var exponent = Math.Min(f.Count - threshold, 16);
            var seconds = Math.Min(_options.LockoutSeconds * Math.Pow(2, exponent), _options.MaxLockoutSeconds);
            f.LockedUntil = now.AddSeconds(seconds);
            return f.LockedUntil;
        }
    }

    private static string Key(string address, string? user) => $"{address}|{user}";

    private sealed class Failures
    {
        public int Count { get; set; }

        public DateTimeOffset LastAt { get; set; }

        public DateTimeOffset LockedUntil { get; set; }
    }
}
