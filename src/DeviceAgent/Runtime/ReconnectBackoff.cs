namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Capped exponential back-off with jitter. The jitter matters when a broker restarts: without it every
/// device of a fleet reconnects in the same second, again and again.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan initial, TimeSpan maximum, Random random)
{
    private int _failures;

    public static ReconnectBackoff Default(Random random) => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), random);

    public int Failures => _failures;

    /// <summary>The delay before the next attempt: half the capped exponential value plus up to the other half at random.</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), maximum.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (random.NextDouble() * ceiling / 2));
    }

    public void Reset() => _failures = 0;
}
