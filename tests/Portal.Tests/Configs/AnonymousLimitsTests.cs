using System.Collections.Concurrent;
using System.Net;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// Anonymous <c>/ignition</c> cannot be used to flood the portal: a per-address allowance (429 with Retry-After beyond
/// it), a cap on the Pending devices it creates, and one audit entry per burst. The portal's clock stands still unless
/// the test moves it, so the allowance refills only when the test says so.
/// </summary>
public sealed class AnonymousLimitsTests(AnonymousLimitsTests.Fixture fixture)
    : IClassFixture<AnonymousLimitsTests.Fixture>
{
    private const int Burst = 500;
    private const int Cap = 50;
    private const int Requests = 2000;

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Ignition_2000UnknownMacsFromOneAddress_AtMostCapPendingAnd429BeyondTheAllowance()
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        var answers = new ConcurrentBag<(HttpStatusCode Status, TimeSpan? RetryAfter, string Body)>();
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var signed = Portal.Services.GetRequiredService<IgnitionUrlSigner>().SignedUrl(device, SecretMode.Reveal);

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), parallel, async (i, token) =>
        {
            using var response = await client.GetAsync($"/ignition?mac=02:aa:00:00:{i >> 8:x2}:{i & 0xff:x2}", token);
            var body = await response.Content.ReadAsStringAsync(token);
            answers.Add((response.StatusCode, response.Headers.RetryAfter?.Delta, body));
        });
        using var signedWhileLimited = await client.GetAsync(signed.PathAndQuery, ct);
        using var stillLimited = await client.GetAsync("/ignition?mac=02:aa:00:00:ff:ff", ct);
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        using var refilled = await client.GetAsync("/ignition?mac=02:aa:00:00:ff:fe", ct);

        var notFound = answers.Where(a => a.Status == HttpStatusCode.NotFound).ToList();
        var limited = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(Burst, notFound.Count);
        Assert.Equal(Requests - Burst, limited.Count);
        Assert.All(limited, a => Assert.Equal(TimeSpan.FromSeconds(1), a.RetryAfter));
        int Saying(string text) => notFound.Count(a => a.Body.Contains(text, StringComparison.Ordinal));
        Assert.Equal(Cap, Saying("it is now listed as Pending"));
        var refused = Saying("it was not recorded: 50 Pending devices");
        Assert.Equal(Burst - Cap, refused);
        Assert.Equal(HttpStatusCode.OK, signedWhileLimited.StatusCode);   // a device with a signed URL is never limited
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLimited.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refilled.StatusCode);
        await using var db = await Portal.CreateDbAsync();
        var placeholders = await db.Devices
            .CountAsync(d => d.EnrollmentId.StartsWith(IgnitionEndpoints.PendingEnrollmentPrefix), ct);
        Assert.Equal(Cap, placeholders);
        var audited = await db.AuditEntries
            .Where(a => a.Action == "device.enrol" && a.Source == AuditSource.Device)
            .ToListAsync(ct);
        Assert.Equal(1, audited.Count(a => a.Outcome == AuditOutcome.Succeeded));
        Assert.Equal(1, audited.Count(a => a.Outcome == AuditOutcome.Denied));

        // After a quiet spell, a new burst is audited again (once).
        fixture.Clock.Advance(PendingPlaceholders.AuditBurstGap);
        using var later = await client.GetAsync("/ignition?mac=02:aa:00:00:ff:fd", ct);
        Assert.Equal(HttpStatusCode.NotFound, later.StatusCode);
        var deniedNow = await db.AuditEntries
            .CountAsync(a => a.Action == "device.enrol" && a.Outcome == AuditOutcome.Denied, ct);
        Assert.Equal(2, deniedNow);
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            Portal = await PortalInstance.StartAsync(
                new Dictionary<string, string?>
                {
                    ["Fleet:Configs:AnonymousRequestBurst"] = Burst.ToString(invariant),
                    ["Fleet:Configs:AnonymousRequestsPerMinute"] = "60",
                    ["Fleet:Configs:MaxPendingPlaceholders"] = Cap.ToString(invariant),
                },
                time: Clock);
        }

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
