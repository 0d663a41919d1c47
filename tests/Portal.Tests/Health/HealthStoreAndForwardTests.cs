using System.Text.Json;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Health;

/// <summary>
/// The real agent host against the real portal over TCP, with health reports every second: what it samples while the
/// portal is down is stored once, at its own time, after the portal is back; a report whose PUBACK is lost is re-sent
/// unchanged and stored once.
/// </summary>
public sealed class HealthStoreAndForwardTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private static readonly Dictionary<string, string?> PortalSettings = new()
    {
        ["Fleet:Devices:HeartbeatIntervalSeconds"] = "5",
        ["Fleet:Devices:OfflineTimeoutSeconds"] = "30",
        ["Fleet:Devices:PendingRetrySeconds"] = "1",

        // Reports every second, drained at four a second after an outage: over the default 60 a minute.
        ["Fleet:Health:MaxReportsPerMinute"] = "600",
        ["Fleet:Health:ReportBurst"] = "100",
    };

    private static readonly Dictionary<string, string?> AgentSettings = new()
    {
        ["Agent:HealthIntervalOverrideSeconds"] = "1",
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PortalDownFor60Reports_AgentKeepsSampling_EveryReportStoredOnceAtItsOwnTime()
    {
        var portal = await PortalInstance.StartAsync(PortalSettings);
        try
        {
            await using var agent = await AgentHost.StartAsync(portal.MqttPort, settings: AgentSettings);
            var deviceId = await AgentHost.ApproveAsync(portal);
            await WaitForSequencesAsync(portal, deviceId, s => s.Count >= 3, "three reports");

            var (dataDirectory, port) = (portal.DataDirectory, portal.MqttPort);
            await portal.DisposeAsync();
            var queued = await WaitForQueuedAsync(Path.Combine(agent.StateDirectory, HealthOutbox.DirectoryName), 60);
            portal = await PortalInstance.StartAsync(PortalSettings, dataDirectory, port);

            // Everything queued during the outage arrives (the agent reconnects after its back-off, then drains).
            var last = queued[^1].Sequence;
            await WaitForSequencesAsync(portal, deviceId, s => s.Contains(last), $"report {last}");

            await using var db = await portal.CreateDbAsync();
            var stored = await db.HealthSamples.AsNoTracking().Where(s => s.DeviceId == deviceId).ToListAsync(Token);
            foreach (var report in queued)
            {
                var sample = Assert.Single(stored, s => s.Sequence == report.Sequence);
                Assert.Equal(report.SentAt, sample.SentAt);
                Assert.Equal(report.SentAt, sample.At);
            }

            // Nothing lost or doubled around the outage either: one row per sequence number, none missing.
            var sequences = stored.Select(s => s.Sequence).Order().ToList();
            Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
            var latest = await db.DeviceHealth.AsNoTracking().SingleAsync(h => h.DeviceId == deviceId, Token);
            Assert.InRange(latest.Sequence, last, long.MaxValue);
            Assert.DoesNotContain(portal.Logs.Entries, e => e.Level >= LogLevel.Error);
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    [Fact]
    public async Task PubAckLost_AgentResendsTheSameBytes_OneRow()
    {
        await using var portal = await PortalInstance.StartAsync(PortalSettings);
        await using var proxy = new AckDroppingProxy(portal.MqttPort);
        await using var agent = await AgentHost.StartAsync(proxy.Port, settings: AgentSettings);
        var deviceId = await AgentHost.ApproveAsync(portal);
        await WaitForSequencesAsync(portal, deviceId, s => s.Count >= 2, "two reports");

        var lostBytes = await proxy.LoseNextHealthAckAsync().WaitAsync(Patience, Token);
        var lost = Read(lostBytes);

        // The PUBACK comes after the commit, so the report is stored although the agent never heard so.
        Assert.Contains(lost.Sequence, await SequencesAsync(portal, deviceId));
        await WaitForSequencesAsync(portal, deviceId, s => s.Contains(lost.Sequence + 2), "two more reports");

        // Sent twice, the second time after reconnecting, byte for byte the same.
        var sent = proxy.HealthPublished.Where(p => Read(p).Sequence == lost.Sequence).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, p => Assert.Equal(lostBytes, p));
        await using var db = await portal.CreateDbAsync();
        var rows = await db.HealthSamples.AsNoTracking()
            .Where(s => s.DeviceId == deviceId && s.Sequence == lost.Sequence)
            .ToListAsync(Token);
        Assert.Equal(lost.SentAt, Assert.Single(rows).SentAt);
    }

    private static async Task<List<long>> SequencesAsync(PortalInstance portal, Guid deviceId)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.HealthSamples.AsNoTracking()
            .Where(s => s.DeviceId == deviceId)
            .Select(s => s.Sequence)
            .ToListAsync();
    }

    private static Task<List<long>> WaitForSequencesAsync(
        PortalInstance portal, Guid deviceId, Func<List<long>, bool> done, string what) =>
        portal.WaitForAsync(
            async () => await SequencesAsync(portal, deviceId) is { } s && done(s) ? s : null, Patience, what);

    /// <summary>
    /// Waits (on the agent's own files, not the clock) until its outbox holds <paramref name="count"/> reports.
    /// </summary>
    private static async Task<List<HealthReport>> WaitForQueuedAsync(string outbox, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var watcher = new FileSystemWatcher(outbox, "0*.json") { EnableRaisingEvents = true };
        using var changed = new SemaphoreSlim(0);
        watcher.Renamed += (_, _) => changed.Release();
        while (true)
        {
            var queued = Directory.EnumerateFiles(outbox, "0*.json")
                .Order(StringComparer.Ordinal)
                .Select(f => Read(File.ReadAllBytes(f)))
                .ToList();
            if (queued.Count >= count)
            {
                return queued;
            }

            // The watcher wakes the wait; the timeout is the backstop for a missed event.
            await changed.WaitAsync(TimeSpan.FromSeconds(2), timeout.Token);
        }
    }

    private static HealthReport Read(byte[] payload) =>
        JsonSerializer.Deserialize(payload, FleetJson.Default.HealthReport)!;
}
