using System.Runtime.Versioning;
using System.Text.Json;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.State;

[UnsupportedOSPlatform("windows")]
public sealed class HealthOutboxTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly RecordingLogger _logger = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Enqueue_ThenPeekAndRemove_OldestFirstWithTheBytesEnqueued()
    {
        var outbox = Outbox();
        var reports = Enumerable.Range(1, 3).Select(i => Report(i)).ToList();
        reports.ForEach(outbox.Enqueue);

        var sent = new List<QueuedReport>();
        while (outbox.Peek() is { } head)
        {
            sent.Add(head);
            outbox.Remove(head);
        }

        Assert.Equal([1L, 2L, 3L], sent.Select(r => r.Sequence));
        Assert.Equal(reports.Select(Bytes), sent.Select(r => r.Payload));
        Assert.Equal(0, outbox.Count);
        Assert.Equal(0, outbox.Bytes);
        Assert.Equal(3, outbox.LastSequence);
        Assert.Equal(0, outbox.Dropped);
    }

    [Fact]
    public void Enqueue_OverTheCount_OldestDroppedAndCounted()
    {
        var outbox = Outbox(new HealthAgentOptions { OutboxMaxReports = 3 });

        for (var i = 1; i <= 5; i++)
        {
            outbox.Enqueue(Report(i));
        }

        Assert.Equal(["0000000000000000003.json", "0000000000000000004.json", "0000000000000000005.json"], Files());
        Assert.Equal([3L, 4L, 5L], Drain(outbox));
        Assert.Equal(2, outbox.Dropped);
        Assert.Single(Warnings("dropped unsent"));
    }

    [Fact]
    public void Enqueue_OverTheBytes_OldestDroppedUntilTheNewOneFits()
    {
        var outbox = Outbox(new HealthAgentOptions { OutboxMaxMegabytes = 1 });
        var big = new string('x', 200 * 1024);

        for (var i = 1; i <= 6; i++)
        {
            outbox.Enqueue(Report(i) with { CollectorErrors = [big] });
        }

        // 200 KiB each: five fit in 1 MiB, the sixth pushes out the first.
        Assert.Equal(1, outbox.Dropped);
        Assert.InRange(outbox.Bytes, 5 * 200 * 1024, 1024 * 1024);
        Assert.Equal([2L, 3L, 4L, 5L, 6L], Drain(outbox));
    }

    [Fact]
    public void Peek_OlderThanTheAgeLimit_DroppedAndCounted()
    {
        var outbox = Outbox(new HealthAgentOptions { OutboxMaxAgeHours = 1 });
        outbox.Enqueue(Report(1));
        _time.Advance(TimeSpan.FromMinutes(30));
        outbox.Enqueue(Report(2));
        _time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(2, outbox.Peek()!.Sequence);
        Assert.Equal(1, outbox.Dropped);
        Assert.Equal(["0000000000000000002.json"], Files());
    }

    [Fact]
    public void Open_AfterARestart_SameReportsSameBytesAndCountersKept()
    {
        var first = Outbox(new HealthAgentOptions { OutboxMaxReports = 2 });
        var reports = Enumerable.Range(1, 4).Select(i => Report(i)).ToList();
        reports.ForEach(first.Enqueue);
        first.Remove(first.Peek()!);

        var second = Outbox();

        Assert.Equal(1, second.Count);
        Assert.Equal(4, second.LastSequence);
        Assert.Equal(2, second.Dropped);
        Assert.Equal(Bytes(reports[3]), second.Peek()!.Payload);
    }

    [Fact]
    public void Open_EmptiedBeforeTheRestart_SequenceContinues()
    {
        var first = Outbox();
        first.Enqueue(Report(1));
        first.Enqueue(Report(2));
        Drain(first);

        var second = Outbox();
        second.Enqueue(Report(second.LastSequence + 1));

        Assert.Equal([3L], Drain(second));
    }

    [Fact]
    public void Open_TornLastReportAndLeftoverTemporary_SkippedWithAWarningAndTheRestKept()
    {
        var first = Outbox();
        first.Enqueue(Report(1));
        first.Enqueue(Report(2));
        first.Enqueue(Report(3));

        // What a power cut can leave: the last report cut short, and a write that never got renamed.
        var last = _temp.Combine("outbox/0000000000000000003.json");
        var bytes = File.ReadAllBytes(last);
        File.WriteAllBytes(last, bytes[..(bytes.Length / 2)]);
        File.WriteAllBytes(_temp.Combine("outbox/0000000000000000004.json.tmp"), bytes[..10]);

        var second = Outbox();

        Assert.Equal([1L, 2L], Drain(second));
        Assert.Equal(3, second.LastSequence);
        Assert.Single(Warnings("0000000000000000003.json is incomplete"));
        Assert.Empty(Files());
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public void Open_UnreadableCounters_SequenceFromTheFilesAndAWarning()
    {
        var first = Outbox();
        first.Enqueue(Report(1));
        first.Enqueue(Report(2));
        File.WriteAllText(_temp.Combine("outbox/outbox.json"), "{\"lastSeq");

        var second = Outbox();

        Assert.Equal(2, second.LastSequence);
        Assert.Equal(2, second.Count);
        Assert.Single(Warnings("counters"));
    }

    [Fact]
    public void Enqueue_SequenceNotAfterTheLast_Refused()
    {
        var outbox = Outbox();
        outbox.Enqueue(Report(5));

        Assert.Throws<ArgumentException>(() => outbox.Enqueue(Report(5)));
        Assert.Equal(1, outbox.Count);
    }

    [Fact]
    public void Enqueue_InMemory_NoFilesAndSameBehaviour()
    {
        var outbox = new HealthOutbox(null, new HealthAgentOptions { OutboxMaxReports = 2 }, _time, _logger);

        for (var i = 1; i <= 3; i++)
        {
            outbox.Enqueue(Report(i));
        }

        Assert.Equal([2L, 3L], Drain(outbox));
        Assert.Equal(1, outbox.Dropped);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    private HealthOutbox Outbox(HealthAgentOptions? limits = null) =>
        new(_temp.Combine("outbox"), limits ?? new HealthAgentOptions(), _time, _logger);

    private HealthReport Report(long sequence) =>
        new(sequence, _time.GetUtcNow(), UptimeSeconds: sequence * 10.5, CpuPercent: 12.5);

    private static byte[] Bytes(HealthReport report) =>
        JsonSerializer.SerializeToUtf8Bytes(report, FleetJson.Default.HealthReport);

    private IEnumerable<string> Warnings(string containing) => _logger.Entries
        .Where(e => e.Level == LogLevel.Warning && e.Message.Contains(containing, StringComparison.Ordinal))
        .Select(e => e.Message);

    private static List<long> Drain(HealthOutbox outbox)
    {
        var sequences = new List<long>();
        while (outbox.Peek() is { } head)
        {
            sequences.Add(head.Sequence);
            outbox.Remove(head);
        }

        return sequences;
    }

    private List<string> Files() =>
        [.. Directory.EnumerateFiles(_temp.Combine("outbox"), "0*")
            .Select(f => Path.GetFileName(f))
            .Order(StringComparer.Ordinal)];
}
