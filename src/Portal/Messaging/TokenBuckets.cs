using System.Collections.Concurrent;

namespace Fleet.Portal.Messaging;

/// <summary>
/// A token bucket per key (a device, a client id, an address), refilled lazily when it is used: no timer, O(1) a check.
/// A bucket that has refilled to its burst is the same as no bucket, so buckets idle that long are dropped, in a sweep
/// that runs at most once per refill time: memory follows the keys seen recently, not every key ever seen.
/// (System.Threading.RateLimiting's partitioned limiter walks every partition ten times a second and forgets a
/// partition after ten idle seconds whether or not it has refilled: 2 % of the portal's CPU while devices enrol,
/// and a per-minute limit that restarted after ten seconds of silence.)
/// </summary>
internal sealed class TokenBuckets
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly double _burst;
    private readonly double _perTick;
    private readonly long _fullAfterTicks;
    private readonly TimeProvider _time;
    private long _nextSweep;

    /// <param name="burst">Tokens a full bucket holds (and a new key starts with).</param>
    /// <param name="perSecond">Tokens added a second.</param>
    /// <param name="time">The clock buckets refill by.</param>
    public TokenBuckets(double burst, double perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentNullException.ThrowIfNull(time);
        (_burst, _time) = (burst, time);
        _perTick = perSecond / time.TimestampFrequency;
        _fullAfterTicks = (long)Math.Ceiling(burst / _perTick);
        _nextSweep = time.GetTimestamp() + Math.Max(_fullAfterTicks, time.TimestampFrequency);
    }

    /// <summary>Keys holding a bucket now (recently used ones).</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes a token from <paramref name="key"/>'s bucket; false (and nothing taken) when it is empty.</summary>
    public bool TryTake(string key)
    {
        var now = _time.GetTimestamp();
        bool taken;
        while (true)
        {
            var bucket = _buckets.GetOrAdd(key, static (_, s) => new Bucket(s._burst, s._time.GetTimestamp()), this);
            lock (bucket)
            {
                if (bucket.Dropped)
                {
                    continue;   // swept between the lookup and the lock: take a fresh one
                }

                bucket.Tokens = Refilled(bucket, now);
                bucket.Stamp = now;
                taken = bucket.Tokens >= 1;
                if (taken)
                {
                    bucket.Tokens -= 1;
                }
            }

            break;
        }

        if (now >= Interlocked.Read(ref _nextSweep))
        {
            Sweep(now);
        }

        return taken;
    }

    private double Refilled(Bucket bucket, long now) => Math.Min(_burst, bucket.Tokens + Math.Max(0, now - bucket.Stamp) * _perTick);

    private void Sweep(long now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + Math.Max(_fullAfterTicks, _time.TimestampFrequency), due) != due)
        {
            return;   // another caller sweeps
        }

        foreach (var (key, bucket) in _buckets)
        {
            lock (bucket)
            {
                if (Refilled(bucket, now) < _burst)
                {
                    continue;
                }

                bucket.Dropped = true;
            }

            _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
        }
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens { get; set; } = tokens;

        public long Stamp { get; set; } = stamp;

        public bool Dropped { get; set; }
    }
}
