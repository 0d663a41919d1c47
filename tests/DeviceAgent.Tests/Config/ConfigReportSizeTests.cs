using System.Text.Json;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

/// <summary>Reports the portal would drop for size (over 64 KiB) are cut, and say so.</summary>
public sealed class ConfigReportSizeTests
{
    [Fact]
    public void FitToPayload_HugeConfigReport_KeepsChangesAndSaysWhatWasLeftOut()
    {
        var entries = Enumerable.Range(0, 2000)
            .Select(i => new ConfigEntryResult(ConfigEntryKind.File, $"/etc/app/file-{i:D4}", i % 2 == 0 ? ConfigEntryOutcome.Unchanged : ConfigEntryOutcome.Applied, new string('x', 400)))
            .ToList();

        var fitted = ConfigCoordinator.FitToPayload(new ConfigReport("v1", DateTimeOffset.UnixEpoch, entries));

        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(fitted, FleetJson.Default.ConfigReport).Length, 1, Protocol.MaxPayloadBytes);
        Assert.DoesNotContain(fitted.Entries.SkipLast(1), e => e.Outcome == ConfigEntryOutcome.Unchanged);
        Assert.All(fitted.Entries, e => Assert.True(e.Detail!.Length <= Protocol.MaxFieldLength));
        Assert.Matches(@"^\d+ of 2000 entries left out to fit 65536 bytes$", fitted.Entries[^1].Detail!);
    }

    [Fact]
    public void FitToPayload_HugeHealthReport_CutsListsAndSaysSo()
    {
        var nics = Enumerable.Range(0, 64).Select(i => new InterfaceCounters($"veth{i:D8}", "02:00:00:00:00:01", true, Enumerable.Range(0, 16).Select(a => $"2001:db8:aaaa:bbbb:cccc:dddd:{i:x}:{a:x}/64").ToList(), 1, 1)).ToList();
        var units = Enumerable.Range(0, 100).Select(i => new string('u', 250) + i).ToList();
        var report = new HealthReport(1, DateTimeOffset.UnixEpoch, Interfaces: nics, FailedUnits: units);

        var fitted = HealthSampler.FitToPayload(report);

        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(fitted, FleetJson.Default.HealthReport).Length, 1, Protocol.MaxPayloadBytes);
        Assert.Equal(8, fitted.Interfaces!.Count);
        Assert.Equal(["report: lists cut to fit 65536 bytes"], fitted.CollectorErrors!);
    }
}
