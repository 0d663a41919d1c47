using Fleet.Portal.Components.Charts;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Dashboard;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Tests.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Health;

/// <summary>The dashboard's fleet series from stored samples, aggregates and alerts, on a real SQLite file.</summary>
public sealed class FleetHistoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 30, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(time: _clock);

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Hour_SamplesAndAlerts_DevicesReportsASecondAndOpenAlertsPerMinute()
    {
        var (a, _) = await ConfigTestSupport.AddDeviceAsync(_portal);
        var (b, _) = await ConfigTestSupport.AddDeviceAsync(_portal);
        await using (var db = await _portal.CreateDbAsync())
        {
            db.HealthSamples.AddRange(
                Sample(a, 1, At(11, 50, 10)), Sample(a, 2, At(11, 50, 40)), Sample(b, 1, At(11, 50, 20)),
                Sample(a, 3, At(12, 0, 10)),
                Sample(b, 2, At(10, 59, 0)));   // before the hour
            var rule = new AlertRule { Name = "history-test", Kind = AlertKind.FailedUnits, Enabled = false };
            db.AlertRules.Add(rule);
            await db.SaveChangesAsync();
            db.Alerts.AddRange(
                Alert(rule.Id, a, At(11, 45, 0), At(11, 55, 0)),
                Alert(rule.Id, b, At(11, 58, 0), null));
            await db.SaveChangesAsync();
        }

        var series = await _portal.Services.GetRequiredService<FleetHistory>().GetAsync(TimeWindow.Hour);

        Assert.Equal([(At(11, 50, 0), 2d), (At(12, 0, 0), 1d)], Points(series.Reporting));
        Assert.Equal([(At(11, 50, 0), 0.05), (At(12, 0, 0), 0.0333)], Points(series.ReportsPerSecond));
        var open = series.OpenAlerts.ToDictionary(p => p.At, p => p.Value);
        Assert.Equal(0, open[At(11, 43, 0)]);   // bucket 11:43–11:44, before it fired
        Assert.Equal(1, open[At(11, 44, 0)]);   // open at 11:45, the end of bucket 11:44
        Assert.Equal(1, open[At(11, 50, 0)]);
        Assert.Equal(0, open[At(11, 56, 0)]);   // resolved at 11:55
        Assert.Equal(1, open[At(12, 0, 0)]);
        Assert.All(series.OpenAlerts, p => Assert.True(p.At <= Now));
    }

    [Fact]
    public async Task Day_OlderThanRawRetention_CountedFromTheAggregates()
    {
        var (c, _) = await ConfigTestSupport.AddDeviceAsync(_portal);
        await using (var db = await _portal.CreateDbAsync())
        {
            db.HealthAggregates.Add(new HealthAggregate { DeviceId = c, BucketStart = At(8, 0, 0), Samples = 30 });
            await db.SaveChangesAsync();
        }

        var series = await _portal.Services.GetRequiredService<FleetHistory>().GetAsync(TimeWindow.Day);

        Assert.Equal([(At(8, 0, 0), 1d)], Points(series.Reporting));
        Assert.Equal([(At(8, 0, 0), 0.1)], Points(series.ReportsPerSecond));
    }

    private static DateTimeOffset At(int hour, int minute, int second) =>
        new(2026, 12, 6, hour, minute, second, TimeSpan.Zero);

    private static IEnumerable<(DateTimeOffset, double)> Points(IReadOnlyList<TimePoint> points) =>
        points.Select(p => (p.At, p.Value));

    private static HealthSample Sample(Guid device, long sequence, DateTimeOffset at) => new()
    {
        DeviceId = device, Sequence = sequence, SentAt = at, At = at, ReceivedAt = at, CpuPercent = 10,
    };

    private static AlertInstance Alert(int rule, Guid device, DateTimeOffset fired, DateTimeOffset? resolved) => new()
    {
        RuleId = rule, DeviceId = device, Severity = AlertSeverity.Warning, Message = "offline", FiredAt = fired,
        ResolvedAt = resolved, IsOpen = resolved is null,
    };
}
