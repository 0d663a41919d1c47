using System.Collections.Concurrent;
using Fleet.Portal.Messaging;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// The broker's defences against abuse: a token bucket on enrolment requests per client id and per
/// address, and a growing lock-out of a client, or of an address, after repeated bad passwords. Everything is in memory
/// (lost on restart, which only forgives).
/// </summary>
internal sealed class ConnectionGuard
{
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly EnrollmentMetrics _metrics;
    private readonly TokenBuckets _perClient;
    private readonly TokenBuckets _perAddress;
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    public ConnectionGuard(IOptions<MqttOptions> options, EnrollmentMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _metrics = metrics;
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
    /// When this client (at this address), or the whole address, is locked out after bad passwords; null if neither is.
    /// </summary>
    public DateTimeOffset? LockedUntil(string? address, string? clientId)
    {
        if (address is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        DateTimeOffset? Until(string key) =>
            _failures.TryGetValue(key, out var f) && f.LockedUntil > now ? f.LockedUntil : null;
        var own = Until(Key(address, clientId));
        var all = Until(address);
        return own > all || all is null ? own : all;
    }

    /// <summary>
    /// Counts a bad password from <paramref name="address"/> for <paramref name="clientId"/>; returns the lock-out it
    /// earned, if any. A client the portal knows (a device id, an enrolment with a bound key) is counted only as
    /// itself: one device with a stale or superseded secret behind a site's NAT locks out at most itself, never its
    /// neighbours. Only identities the portal does not know (guessed device ids, a wrong bootstrap password) count
    /// towards locking out the whole address.
    /// </summary>
    public DateTimeOffset? BadPassword(string? address, string? clientId, bool knownClient)
    {
        if (address is null || _options.BadPasswordsBeforeLockout == 0)
        {
            return null;
        }

        var own = Count(Key(address, clientId), _options.BadPasswordsBeforeLockout);
        var all = knownClient ? null : Count(address, _options.BadPasswordsPerAddressBeforeLockout);
        if (own is not null || all is not null)
        {
            _metrics.Lockout(wholeAddress: all is not null);
        }

        return own > all || all is null ? own : all;
    }

    /// <summary>A good password forgives this client at this address (not the address as a whole).</summary>
    public void GoodPassword(string? address, string? clientId)
    {
        if (address is not null)
        {
            _failures.TryRemove(Key(address, clientId), out _);
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
