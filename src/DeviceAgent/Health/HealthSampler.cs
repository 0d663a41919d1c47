using System.Collections.Concurrent;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// Runs every collector concurrently on the thread pool, each with its own draft and time limit. One that
/// throws or overruns becomes a <c>name: reason</c> entry in <see cref="HealthReport.CollectorErrors"/>;
/// the others' values are still sent. An overrunning collector is abandoned, not awaited.
/// </summary>
public sealed class HealthSampler(IEnumerable<IHealthCollector> collectors, TimeSpan collectorTimeout, ILogger<HealthSampler> logger) : IHealthSource
{
    private readonly IHealthCollector[] _collectors = collectors.ToArray();

    // The last reason logged per collector: a source that fails every minute is logged when it starts failing, not every minute.
    private readonly ConcurrentDictionary<string, string> _lastLogged = new(StringComparer.Ordinal);

    public async Task<HealthReport> CollectAsync(long sequence, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var drafts = new HealthDraft?[_collectors.Length];
        var errors = new ConcurrentBag<string>();
        await Task.WhenAll(_collectors.Select((c, i) => RunAsync(c, i, drafts, errors, cancellationToken)));
        var merged = new HealthDraft();
        foreach (var draft in drafts)
        {
            draft?.MergeInto(merged);
        }

        return FitToPayload(merged.ToReport(sequence, sentAt, errors.Order(StringComparer.Ordinal).ToList()));
    }

    /// <summary>
    /// The portal drops messages over <see cref="Protocol.MaxPayloadBytes"/>; a host with hundreds of
    /// container interfaces or failed units must still report, so the long lists are cut and the cut said.
    /// </summary>
    internal static HealthReport FitToPayload(HealthReport report)
    {
        const int Budget = Protocol.MaxPayloadBytes - 1024;
        if (System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(report, FleetJson.Default.HealthReport).Length <= Budget)
        {
            return report;
        }

        var cut = report with
        {
            Interfaces = report.Interfaces?.Take(8).Select(i => i with { Addresses = i.Addresses.Take(4).ToList() }).ToList(),
            Filesystems = report.Filesystems?.Take(16).ToList(),
            Temperatures = report.Temperatures?.Take(16).ToList(),
            FailedUnits = report.FailedUnits?.Take(20).ToList(),
        };
        return cut with { CollectorErrors = [.. cut.CollectorErrors ?? [], $"report: lists cut to fit {Protocol.MaxPayloadBytes} bytes"] };
    }

    private async Task RunAsync(IHealthCollector collector, int index, HealthDraft?[] drafts, ConcurrentBag<string> errors, CancellationToken cancellationToken)
    {
        var draft = new HealthDraft();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(collectorTimeout);
        try
        {
            // Task.Run: a collector stuck in a blocking read (statvfs on a dead NFS mount) must not hold the others;
            // WaitAsync: nor the report, even if it ignores its token.
            await Task.Run(() => collector.CollectAsync(draft, limit.Token), limit.Token).WaitAsync(collectorTimeout, cancellationToken);
            drafts[index] = draft;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Record(collector, $"no answer within {collectorTimeout.TotalSeconds:0.#} s", errors);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Record(collector, ex.Message, errors);
        }
    }

    private void Record(IHealthCollector collector, string reason, ConcurrentBag<string> errors)
    {
        if (!_lastLogged.TryGetValue(collector.Name, out var previous) || previous != reason)
        {
            _lastLogged[collector.Name] = reason;
            logger.LogWarning("Health collector {Collector} failed: {Reason}", collector.Name, reason);
        }
        var entry = $"{collector.Name}: {reason.ReplaceLineEndings(" ")}";
        errors.Add(entry.Length <= Protocol.MaxFieldLength ? entry : entry[..Protocol.MaxFieldLength]);
    }
}
