using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Fleet.Benchmarks;

/// <summary>
/// Samples this process's allocations by type through the runtime's own event source (an AllocationTick event about
/// every 100 KB allocated, naming the type that crossed the mark), and what survived each generation-0 collection.
/// Opt-in (BENCH_ALLOCATIONS=1): it slows the run.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _on;

    public static AllocationSampler? StartIfAsked() =>
        Environment.GetEnvironmentVariable("BENCH_ALLOCATIONS") == "1" ? new AllocationSampler { _on = true } : null;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    private readonly ConcurrentQueue<double> _promotedFromGen0 = new();

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (_on && eventData.EventName?.StartsWith("GCHeapStats", StringComparison.Ordinal) == true && eventData.PayloadNames is { } names)
        {
            // After each collection: what survived generation 0 (copied, so it sets most of a gen0 pause).
            _promotedFromGen0.Enqueue(Convert.ToDouble(eventData.Payload![names.IndexOf("TotalPromotedSize0")], CultureInfo.InvariantCulture) / 1048576);
        }

        if (!_on || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
        {
            return;
        }

        var name = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[eventData.PayloadNames.IndexOf("AllocationAmount")], CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(name, amount, (_, b) => b + amount);
    }

    public void Report(int perWhat, int top = 40)
    {
        _on = false;
        if (!_promotedFromGen0.IsEmpty)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  survived generation 0: {_promotedFromGen0.Average():0.0} MiB a collection on average ({_promotedFromGen0.Count} collections), {_promotedFromGen0.Sum() * 1024 / Math.Max(1, perWhat):0.0} KiB each"));
        }

        var total = _bytes.Values.Sum();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocations sampled: {total / 1048576.0:0} MiB, {total / 1024.0 / Math.Max(1, perWhat):0.0} KiB each"));
        foreach (var (type, bytes) in _bytes.OrderByDescending(b => b.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {bytes * 100.0 / total,5:0.0} %  {bytes / 1024.0 / Math.Max(1, perWhat),7:0.0} KiB  {type}"));
        }
    }
}
