using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Config;

/// <summary>
/// The live config side: takes desired configs from the device loop, verifies and applies them on its own
/// loop (<see cref="RunAsync"/>), checks for drift every <see cref="ConfigAgentOptions.DriftCheckMinutes"/>,
/// and queues a <see cref="ConfigReport"/> for each run.
/// </summary>
public sealed class ConfigCoordinator(
    ConfigApplier applier,
    ContentFetcher fetcher,
    IOptions<ConfigAgentOptions> options,
    TimeProvider time,
    ILogger<ConfigCoordinator> logger) : IDeviceConfig
{
    private const int MaxQueuedReports = 8;

    // Only the newest desired config matters; an older one still waiting is replaced.
    private readonly Channel<DesiredConfig> _desired = Channel.CreateBounded<DesiredConfig>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentQueue<ConfigReport> _outbox = new();

    private DesiredConfig? _current;
    private IgnitionConfig? _currentConfig;
    private bool _currentComplete;

    public event EventHandler? ReportReady;

    public void OnDesired(DesiredConfig config) => _desired.Writer.TryWrite(config);

    public ConfigReport? NextReport() => _outbox.TryPeek(out var report) ? report : null;

    public void Delivered(ConfigReport report)
    {
        if (_outbox.TryPeek(out var head) && ReferenceEquals(head, report))
        {
            _outbox.TryDequeue(out _);
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, then returns (it does not throw).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromMinutes(options.Value.DriftCheckMinutes);
        var nextCheck = time.GetUtcNow() + interval;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var timer = new CancellationTokenSource(Max(nextCheck - time.GetUtcNow(), TimeSpan.Zero), time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            DesiredConfig? desired = null;
            try
            {
                desired = await _desired.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Drift check due.
            }
            catch (OperationCanceledException)
            {
                return; // Stopping is the normal way out.
            }

            ConfigReport? report;
            try
            {
                report = desired is not null ? await HandleAsync(desired, cancellationToken) : await CheckAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One unforeseen failure must not end live config for the life of the agent.
                logger.LogError(ex, "Live config run failed");
                report = null;
            }

            nextCheck = time.GetUtcNow() + interval;
            if (report is not null)
            {
                Enqueue(report);
            }
        }
    }

    /// <summary>
    /// A new config is applied. The same config again (the broker re-delivers the retained message on every
    /// connect) is only checked, unless the last run left something failed, when it is applied again.
    /// </summary>
    public async Task<ConfigReport> HandleAsync(DesiredConfig desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        if (_current is { } current && current.Version == desired.Version && string.Equals(current.Sha512, desired.Sha512, StringComparison.OrdinalIgnoreCase) && _currentComplete)
        {
            return (await CheckAsync(cancellationToken))!;
        }

        return await ApplyAsync(desired, cancellationToken);
    }

    /// <summary>Fetches (when not inline), verifies the SHA-512, parses and applies. Nothing is written unless the hash matches.</summary>
    public async Task<ConfigReport> ApplyAsync(DesiredConfig desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        IgnitionConfig config;
        try
        {
            var bytes = await ResolveAsync(desired, cancellationToken);
            config = IgnitionConfig.Parse(bytes);
        }
        catch (Exception ex) when (ex is FormatException or HttpRequestException or TaskCanceledException or IOException)
        {
            logger.LogWarning("Desired config {Version} not applied: {Error}", desired.Version, ex.Message);
            return new ConfigReport(desired.Version, time.GetUtcNow(), [], ex.Message);
        }

        var entries = await applier.RunAsync(config, apply: true, cancellationToken);
        _current = desired;
        _currentConfig = config;
        _currentComplete = entries.All(e => e.Outcome is ConfigEntryOutcome.Applied or ConfigEntryOutcome.Unchanged or ConfigEntryOutcome.NeedsReinstall);
        logger.LogInformation(
            "Applied config {Version}: {Applied} applied, {Unchanged} unchanged, {Failed} failed, {Reinstall} need a reinstall",
            desired.Version,
            entries.Count(e => e.Outcome == ConfigEntryOutcome.Applied),
            entries.Count(e => e.Outcome == ConfigEntryOutcome.Unchanged),
            entries.Count(e => e.Outcome == ConfigEntryOutcome.Failed),
            entries.Count(e => e.Outcome == ConfigEntryOutcome.NeedsReinstall));
        return new ConfigReport(desired.Version, time.GetUtcNow(), entries);
    }

    /// <summary>Compares the host with the config last applied: Drifted entries, nothing changed (or re-applied, by option). Null before any config.</summary>
    public async Task<ConfigReport?> CheckAsync(CancellationToken cancellationToken)
    {
        if (_current is not { } current || _currentConfig is not { } config)
        {
            return null;
        }

        var reapply = options.Value.ReapplyOnDrift;
        var entries = await applier.RunAsync(config, apply: false, cancellationToken);
        if (reapply && entries.Any(e => e.Outcome == ConfigEntryOutcome.Drifted))
        {
            logger.LogWarning("Config {Version} drifted; applying it again", current.Version);
            entries = await applier.RunAsync(config, apply: true, cancellationToken);
        }
        else if (entries.Any(e => e.Outcome == ConfigEntryOutcome.Drifted))
        {
            logger.LogWarning("Config {Version} drifted: {Entries}", current.Version, string.Join(", ", entries.Where(e => e.Outcome == ConfigEntryOutcome.Drifted).Select(e => e.Target)));
        }

        return new ConfigReport(current.Version, time.GetUtcNow(), entries);
    }

    private async Task<byte[]> ResolveAsync(DesiredConfig desired, CancellationToken cancellationToken)
    {
        byte[] bytes;
        if (desired.Ignition is not null)
        {
            bytes = Encoding.UTF8.GetBytes(desired.Ignition);
        }
        else if (Uri.TryCreate(desired.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            bytes = await fetcher.GetAsync(url, cancellationToken);
        }
        else
        {
            throw new FormatException(desired.Url is null ? "the desired config has neither inline Ignition nor a URL" : $"the config URL is not an absolute http(s) URL");
        }

        var actual = Convert.ToHexStringLower(SHA512.HashData(bytes));
        if (!string.Equals(actual, desired.Sha512, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"SHA-512 mismatch: the desired config says {desired.Sha512}, the Ignition bytes hash to {actual}; nothing applied");
        }

        return bytes;
    }

    /// <summary>
    /// Keeps a report under <see cref="Shared.Protocol.MaxPayloadBytes"/>, which the portal enforces: details
    /// are cut to 256 characters, then Unchanged entries and finally the last entries are left out, and the
    /// report says so in its last entry.
    /// </summary>
    internal static ConfigReport FitToPayload(ConfigReport report)
    {
        const int Budget = Shared.Protocol.MaxPayloadBytes - 1024;
        var entries = report.Entries
            .Select(e => e.Detail is { Length: > Shared.Protocol.MaxFieldLength } d ? e with { Detail = d[..Shared.Protocol.MaxFieldLength] } : e)
            .Select(e => e.Target.Length > 1024 ? e with { Target = e.Target[..1024] } : e)
            .ToList();
        var fitted = report with { Entries = entries };
        if (Size(fitted) <= Budget)
        {
            return fitted;
        }

        var total = entries.Count;
        entries = entries.Where(e => e.Outcome != ConfigEntryOutcome.Unchanged).ToList();
        while (entries.Count > 0 && Size(report with { Entries = entries }) > Budget)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        entries.Add(new ConfigEntryResult(ConfigEntryKind.File, "(report)", ConfigEntryOutcome.Unchanged, $"{total - entries.Count} of {total} entries left out to fit {Shared.Protocol.MaxPayloadBytes} bytes"));
        return report with { Entries = entries };

        static int Size(ConfigReport r) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(r, FleetJson.Default.ConfigReport).Length;
    }

    private void Enqueue(ConfigReport report)
    {
        report = FitToPayload(report);
        _outbox.Enqueue(report);
        while (_outbox.Count > MaxQueuedReports && _outbox.TryDequeue(out _))
        {
            // While offline only the newest reports are worth sending.
        }

        ReportReady?.Invoke(this, EventArgs.Empty);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
