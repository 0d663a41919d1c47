using System.Globalization;
using System.Text.Json;
using Fleet.DeviceAgent.Health;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.State;

/// <summary>One report waiting in the <see cref="HealthOutbox"/>: the exact bytes that are sent, every time.</summary>
public sealed record QueuedReport(long Sequence, DateTimeOffset SentAt, byte[] Payload);

/// <summary>
/// The store-and-forward queue of health reports: every report the agent makes waits here until the broker
/// acknowledges it, so reports made while the portal is unreachable are sent, oldest first and unchanged, after
/// reconnecting.
/// Bounded by count, bytes and age (<see cref="HealthAgentOptions"/>); over a bound the oldest report is dropped
/// and counted in <see cref="Dropped"/>, which later reports carry to the portal.
/// </summary>
/// <remarks>
/// With a directory, each report is its own file (<c>{sequence}.json</c>, the payload as sent) written by
/// <see cref="DurableFile"/>, and <c>outbox.json</c> keeps the last sequence number and the dropped count, so both
/// survive a restart. A file that does not hold a whole report (a power cut on a file system that lost the write)
/// is skipped with a warning. Without a directory (simulated devices) the queue lives in memory only. Safe to use
/// from the sampling task and the device loop at once.
/// </remarks>
public sealed class HealthOutbox
{
    /// <summary>The folder under <see cref="AgentOptions.StateDirectory"/> that holds the queue.</summary>
    public const string DirectoryName = "health-outbox";

    private const string CountersFile = "outbox.json";

    private readonly Lock _lock = new();
    private readonly LinkedList<QueuedReport> _reports = new();
    private readonly string? _directory;
    private readonly int _maxReports;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _bytes;
    private long _lastSequence;
    private long _dropped;
    private bool _droppingLogged;

    /// <param name="directory">Where the queue is kept; null: in memory only.</param>
    /// <param name="limits">The queue's bounds (<c>Outbox*</c>).</param>
    /// <param name="time">Clock for the age bound.</param>
    /// <param name="logger">Where dropped and unreadable reports are logged.</param>
    public HealthOutbox(string? directory, HealthAgentOptions limits, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _maxReports = limits.OutboxMaxReports;
        _maxBytes = limits.OutboxMaxMegabytes * 1024L * 1024;
        _maxAge = TimeSpan.FromHours(limits.OutboxMaxAgeHours);
        (_time, _logger) = (time, logger);
        _directory = directory is null ? null : Open(directory);
    }

    /// <summary>Raised (on the caller's thread) after a report was added.</summary>
    public event EventHandler? Enqueued;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _reports.Count;
            }
        }
    }

    /// <summary>Payload bytes waiting.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The sequence number of the last report added (0: none yet).</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Reports dropped unsent since the queue was created.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Adds <paramref name="report"/> as the newest, dropping the oldest reports over a bound.</summary>
    public void Enqueue(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var payload = JsonSerializer.SerializeToUtf8Bytes(report, FleetJson.Default.HealthReport);
        lock (_lock)
        {
            if (report.Sequence <= _lastSequence)
            {
                throw new ArgumentException(
                    $"Sequence {report.Sequence} is not after {_lastSequence}.", nameof(report));
            }

            DropExpired();
            while (_reports.Count > 0 && (_reports.Count >= _maxReports || _bytes + payload.Length > _maxBytes))
            {
                Drop(_reports.First!.Value, "the queue is full");
            }

            var queued = new QueuedReport(report.Sequence, report.SentAt, payload);
            _lastSequence = report.Sequence;
            _reports.AddLast(queued);
            _bytes += payload.Length;
            Persist(() => DurableFile.Write(PathOf(queued.Sequence), payload));
            SaveCounters();
        }

        Enqueued?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The oldest report still within the age bound, or null when none waits.</summary>
    public QueuedReport? Peek()
    {
        lock (_lock)
        {
            DropExpired();
            return _reports.First?.Value;
        }
    }

    /// <summary>The broker acknowledged <paramref name="report"/>: it leaves the queue.</summary>
    public void Remove(QueuedReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            if (_reports.Remove(report))
            {
                _bytes -= report.Payload.Length;
                _droppingLogged = false;

                // A delete lost in a power cut only means the report is sent again, which the portal stores once.
                Persist(() => File.Delete(PathOf(report.Sequence)));
            }
        }
    }

    private void DropExpired()
    {
        var oldest = _time.GetUtcNow() - _maxAge;
        var dropped = false;
        while (_reports.First?.Value is { } head && head.SentAt < oldest)
        {
            Drop(head, $"it is older than {_maxAge.TotalHours:0} h");
            dropped = true;
        }

        if (dropped)
        {
            SaveCounters();
        }
    }

    private void Drop(QueuedReport report, string why)
    {
        _reports.RemoveFirst();
        _bytes -= report.Payload.Length;
        _dropped++;
        if (!_droppingLogged)
        {
            // Once per run of drops: an outage that outlasts the queue drops one report per interval.
            _droppingLogged = true;
            _logger.LogWarning("Health report {Sequence} dropped unsent because {Why}; {Dropped} dropped so far",
                report.Sequence, why, _dropped);
        }

        Persist(() => File.Delete(PathOf(report.Sequence)));
    }

    private void SaveCounters()
    {
        var counters = new HealthOutboxCounters(_lastSequence, _dropped);
        Persist(() => DurableFile.Write(Path.Combine(_directory!, CountersFile),
            JsonSerializer.SerializeToUtf8Bytes(counters, AgentStateJson.Default.HealthOutboxCounters)));
    }

    /// <summary>
    /// A failed write (disk full, read-only) keeps the report in memory: it is still sent, only not across a restart.
    /// </summary>
    private void Persist(Action write)
    {
        if (_directory is null)
        {
            return;
        }

        try
        {
            write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(
                "Health outbox in {Directory} could not be written ({Error}); queued reports are kept in memory only",
                _directory, ex.Message);
        }
    }

    private string PathOf(long sequence) =>
        Path.Combine(_directory!, sequence.ToString("D19", CultureInfo.InvariantCulture) + ".json");

    /// <summary>Loads what a previous run left; null (memory only, logged) when the folder cannot be used.</summary>
    private string? Open(string directory)
    {
        try
        {
            DurableFile.CreateDirectory(directory);
            foreach (var leftover in Directory.EnumerateFiles(directory, "*" + DurableFile.TemporarySuffix))
            {
                File.Delete(leftover);   // a write a crash interrupted before its rename: never part of the queue
            }

            ReadCounters(directory);
            var files = Directory.EnumerateFiles(directory, "*.json")
                .Select(f => (Path: f, Sequence: SequenceOf(f)))
                .Where(f => f.Sequence > 0)
                .OrderBy(f => f.Sequence);
            foreach (var (path, sequence) in files)
            {
                var payload = File.ReadAllBytes(path);
                if (Read(payload) is { } report && report.Sequence == sequence)
                {
                    _reports.AddLast(new QueuedReport(sequence, report.SentAt, payload));
                    _bytes += payload.Length;
                    _lastSequence = Math.Max(_lastSequence, sequence);
                }
                else
                {
                    _logger.LogWarning(
                        "Queued health report {Path} is incomplete or unreadable ({Bytes} bytes); skipped",
                        path, payload.Length);
                    File.Delete(path);
                }
            }

            if (_reports.Count > 0)
            {
                _logger.LogInformation("{Count} queued health reports from an earlier run wait to be sent",
                    _reports.Count);
            }

            return directory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Health outbox in {Directory} cannot be used ({Error}); reports are queued in memory only",
                directory, ex.Message);
            return null;
        }
    }

    private void ReadCounters(string directory)
    {
        var path = Path.Combine(directory, CountersFile);
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            var json = File.ReadAllBytes(path);
            var counters = JsonSerializer.Deserialize(json, AgentStateJson.Default.HealthOutboxCounters);
            (_lastSequence, _dropped) = (Math.Max(0, counters?.LastSequence ?? 0), Math.Max(0, counters?.Dropped ?? 0));
        }
        catch (JsonException ex)
        {
            // The queued files still give the last sequence; only the dropped count starts again.
            _logger.LogWarning(
                "Health outbox counters {Path} are unreadable ({Error}); the dropped count starts again at 0",
                path, ex.Message);
        }
    }

    /// <summary>The sequence number a report file is named by; -1 for other files.</summary>
    private static long SequenceOf(string path) =>
        long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture,
            out var sequence) ? sequence : -1;

    private static HealthReport? Read(byte[] payload)
    {
        try
        {
            return JsonSerializer.Deserialize(payload, FleetJson.Default.HealthReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What <c>outbox.json</c> keeps: the counters that must outlive the reports themselves.</summary>
internal sealed record HealthOutboxCounters(long LastSequence, long Dropped);
