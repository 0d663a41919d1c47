using Fleet.Portal.Data;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Health;

/// <summary>Retention on a fake clock: raw samples folded into 5-minute buckets, then aged out; heartbeats pruned.</summary>
public sealed class HealthRetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Fleet:Health:RawRetentionHours"] = "1",
        ["Fleet:Health:AggregateRetentionDays"] = "2",
        ["Fleet:Health:HeartbeatRetentionDays"] = "1",
    }, time: _clock);

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Run_AfterRawRetention_FoldsWholeBucketsThenDeletesThemLater()
    {
        var (id, _) = await ApprovedDevice.EnrolAsync(_portal, "aging");
        var deviceId = Guid.ParseExact(id, "N");
        await using (var db = await _portal.CreateDbAsync())
        {
            // 12:00, 12:01 … 12:09: two buckets (12:00 with 10/20/30/40/50, 12:05 with 60…100).
            for (var i = 0; i < 10; i++)
            {
                var at = Start.AddMinutes(i);
                db.HealthSamples.Add(new HealthSample { DeviceId = deviceId, Sequence = i, SentAt = at, At = at, ReceivedAt = at, CpuPercent = 10 * (i + 1) });
            }

            db.Heartbeats.Add(new HeartbeatRecord { DeviceId = deviceId, ReceivedAt = Start, SentAt = Start });
            await db.SaveChangesAsync();
        }

        var retention = _portal.Services.GetRequiredService<HealthRetention>();
        _clock.Advance(TimeSpan.FromMinutes(66)); // 13:06: cutoff 12:05, so only the 12:00 bucket is whole and old enough
        await retention.RunOnceAsync(); // the timer may have run it too when the clock moved; runs do not overlap and are idempotent

        await using (var db = await _portal.CreateDbAsync())
        {
            var bucket = await db.HealthAggregates.SingleAsync(a => a.DeviceId == deviceId);
            Assert.Equal((Start, 5, 10.0, 30.0, 50.0), (bucket.BucketStart, bucket.Samples, bucket.CpuMin, bucket.CpuAvg, bucket.CpuMax));
            Assert.Equal(5, await db.HealthSamples.CountAsync(s => s.DeviceId == deviceId));
        }

        var history = await _portal.Services.GetRequiredService<HealthQueryService>()
            .HistoryAsync(deviceId, Start, Start.AddHours(1), HealthResolution.FiveMinutes);
        Assert.Equal([(Start, 30.0), (Start.AddMinutes(5), 80.0)], history.Select(p => (p.At, p.Cpu!.Avg)));

        _clock.Advance(TimeSpan.FromDays(3));
        await retention.RunOnceAsync();
        await using (var db = await _portal.CreateDbAsync())
        {
            Assert.False(await db.HealthSamples.AnyAsync(s => s.DeviceId == deviceId));
            Assert.False(await db.HealthAggregates.AnyAsync(a => a.DeviceId == deviceId));
            Assert.False(await db.Heartbeats.AnyAsync(h => h.DeviceId == deviceId));
        }
    }
}
