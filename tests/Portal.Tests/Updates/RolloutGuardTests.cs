using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Automatic halting when too many devices fail to update (20% of at least 5 by default).</summary>
public sealed class RolloutGuardTests(RolloutGuardTests.Fixture fixture) : IClassFixture<RolloutGuardTests.Fixture>
{
    private PortalInstance Portal => fixture.Portal;

    private RolloutGuard Guard => Portal.Services.GetRequiredService<RolloutGuard>();

    [Fact]
    public async Task Record_FailuresAboveThresholdOfEnoughDevices_ReleaseHaltedOnceAndAudited()
    {
        var (stream, version) = await ReleaseAsync();
        var devices = await DevicesAsync(6);

        await Guard.RecordFailureAsync(version, devices[0]);
        foreach (var device in devices[1..5])
        {
            await Guard.RecordSuccessAsync(version, device);
        }

        var atThreshold = await Guard.RecordSuccessAsync(version, devices[4]);   // 1 of 5 failed: 20%, not more
        var tipped = await Guard.RecordFailureAsync(version, devices[5]);        // 2 of 6: 33%
        var after = await Guard.RecordFailureAsync(version, devices[1]);         // a device's latest report replaces its earlier one

        Assert.Equal((1, 4, false), (atThreshold!.Failures, atThreshold.Successes, atThreshold.Halted));
        Assert.Equal((2, 4, true, true), (tipped!.Failures, tipped.Successes, tipped.Halted, tipped.HaltedNow));
        Assert.Equal((3, 3, true, false), (after!.Failures, after.Successes, after.Halted, after.HaltedNow));
        var release = (await Portal.Updates().GetStreamAsync(stream))!.Releases.Single(r => r.Version == version);
        var releaseId = release.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(release.IsHalted);
        Assert.Equal(RolloutGuard.HaltedBy, release.HaltedBy);
        Assert.Contains("2 of 6 devices failed", release.HaltReason, StringComparison.Ordinal);
        await using var db = await Portal.CreateDbAsync();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "release.halt" && a.EntityId == releaseId && a.Actor == "system"));
    }

    [Fact]
    public async Task Record_AllFailedButTooFewDevices_NotHalted()
    {
        var (_, version) = await ReleaseAsync();
        var devices = await DevicesAsync(4);

        RolloutVerdict? verdict = null;
        foreach (var device in devices)
        {
            verdict = await Guard.RecordFailureAsync(version, device);
        }

        Assert.Equal((4, false), (verdict!.Failures, verdict.Halted));
    }

    [Fact]
    public async Task Record_AfterResume_CountsStartAfresh()
    {
        var (stream, version) = await ReleaseAsync();
        var devices = await DevicesAsync(7);
        foreach (var device in devices[..5])
        {
            await Guard.RecordFailureAsync(version, device);
        }

        var release = (await Portal.Updates().GetStreamAsync(stream))!.Releases.Single(r => r.Version == version);
        Assert.True(release.IsHalted);
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await Portal.Updates().ResumeReleaseAsync(release.Id, TestActors.Operator);
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));

        var verdict = await Guard.RecordFailureAsync(version, devices[5]);

        Assert.Equal((1, 0, false), (verdict!.Failures, verdict.Successes, verdict.Halted));
    }

    [Fact]
    public async Task Record_UnknownVersionOrDevice_Null()
    {
        var (_, version) = await ReleaseAsync();
        var devices = await DevicesAsync(1);

        Assert.Null(await Guard.RecordFailureAsync("0.0.nothing", devices[0]));
        Assert.Null(await Guard.RecordFailureAsync(version, Guid.NewGuid()));
    }

    [Fact]
    public async Task Record_LowerThresholdSetting_HaltsSooner()
    {
        var settings = await Portal.Updates().GetSettingsAsync();
        var (_, version) = await ReleaseAsync();
        var devices = await DevicesAsync(2);
        try
        {
            Assert.True((await Portal.Updates().UpdateSettingsAsync(new SettingsInput(settings.DefaultStream, 50, 2), TestActors.Operator)).Succeeded);
            await Guard.RecordSuccessAsync(version, devices[0]);
            var verdict = await Guard.RecordFailureAsync(version, devices[1]);   // 50%: not more than 50
            Assert.False(verdict!.Halted);
        }
        finally
        {
            await Portal.Updates().UpdateSettingsAsync(new SettingsInput(settings.DefaultStream, settings.FailureThresholdPercent, settings.FailureMinimumSample), TestActors.Operator);
        }
    }

    /// <summary>A release of a fresh stream, with a version no other test uses.</summary>
    private async Task<(string Stream, string Version)> ReleaseAsync()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        var version = $"44.{Random.Shared.Next(10_000_000, 99_999_999)}.3.{Random.Shared.Next(0, 1000)}";
        var releases = UpdateTestSupport.Retarget($$"""{"releases":[{"version":"{{version}}","commits":[{"architecture":"x86_64","checksum":"{{new string('a', 64)}}"}]}]}""", stream);
        var report = await Portal.Imports().ImportAsync(stream, new(releases, null, null), TestActors.Operator);
        Assert.True(report.Succeeded, report.Summary);
        return (stream, version);
    }

    private async Task<List<Guid>> DevicesAsync(int count)
    {
        await using var db = await Portal.CreateDbAsync();
        var devices = Enumerable.Range(0, count).Select(i => new Device
        {
            Id = Guid.NewGuid(),
            EnrollmentId = $"guard-{Guid.NewGuid():N}",
            State = EnrollmentState.Approved,
            MachineId = Guid.NewGuid().ToString("N"),
            Hostname = $"guard-{i}",
            Architecture = "x86_64",
            Kernel = "6.11",
            OsName = "Fedora CoreOS",
            OsReleaseJson = "{}",
            PrimaryMac = "02:00:00:00:00:01",
            AgentVersion = "test",
            FirstSeenAt = fixture.Clock.GetUtcNow(),
            LastRequestAt = fixture.Clock.GetUtcNow(),
        }).ToList();
        db.Devices.AddRange(devices);
        await db.SaveChangesAsync();
        return [.. devices.Select(d => d.Id)];
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(time: Clock);

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
