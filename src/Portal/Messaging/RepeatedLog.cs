using System.Collections.Concurrent;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Lets the same log line through once per interval per key and counts the rest, so that a fault hit by every message
/// (a full disk, a flood) writes a line a minute with a count instead of a line, or a stack trace, per message.
/// </summary>
internal sealed class RepeatedLog(TimeProvider time, TimeSpan interval)
{
    private const int MaxKeys = 10_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a line for <paramref name="key"/> may be written now; <paramref name="suppressed"/> says how many were
    /// held back since the last.
    /// </summary>
    public bool ShouldLog(string key, out long suppressed)
    {
        var now = time.GetTimestamp();
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        lock (entry)
        {
            if (entry.LoggedAt != 0 && time.GetElapsedTime(entry.LoggedAt, now) < interval)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = entry.Suppressed;
            (entry.LoggedAt, entry.Suppressed) = (now, 0);
        }

        if (_entries.Count > MaxKeys)
        {
            _entries.Clear();   // many distinct keys: forget them rather than grow
        }

        return true;
    }

    /// <summary>The key of an exception: its type and message (a full disk says the same thing every time).</summary>
    public static string KeyOf(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var message = ex.GetBaseException().Message;
        return ex.GetType().Name + ": " + (message.Length <= 200 ? message : message[..200]);
    }

    private sealed class Entry
    {
        public long LoggedAt { get; set; }

        public long Suppressed { get; set; }
    }
}
