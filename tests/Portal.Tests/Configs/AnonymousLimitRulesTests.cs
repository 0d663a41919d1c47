using System.Net;
using Fleet.Portal.Features.Configs;

namespace Fleet.Portal.Tests.Configs;

/// <summary>The rules behind the anonymous limits: which addresses share an allowance, when a burst starts.</summary>
public sealed class AnonymousLimitRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData(null, "unknown")]
    public void KeyOf_Address_IPv4AloneIPv6ByItsSlash64(string? address, string expected)
    {
        Assert.Equal(expected, AnonymousRequestLimiter.KeyOf(address is null ? null : IPAddress.Parse(address)));
    }

    [Fact]
    public void StartsBurst_EventsCloserThanTheGap_OneBurst_AfterAQuietGap_ANewOne()
    {
        var bursts = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var almost = PendingPlaceholders.AuditBurstGap - TimeSpan.FromSeconds(1);

        var first = PendingPlaceholders.StartsBurst(bursts, "a", T0);
        var other = PendingPlaceholders.StartsBurst(bursts, "b", T0);
        var continued = PendingPlaceholders.StartsBurst(bursts, "a", T0 + almost);
        var stillContinued = PendingPlaceholders.StartsBurst(bursts, "a", T0 + almost + almost);
        var quietEnd = T0 + almost + almost + PendingPlaceholders.AuditBurstGap;
        var afterQuiet = PendingPlaceholders.StartsBurst(bursts, "a", quietEnd);

        Assert.Equal([true, true, false, false, true], [first, other, continued, stillContinued, afterQuiet]);
    }

    [Fact]
    public void StartsBurst_ManyAddresses_OnlyRecentOnesKept()
    {
        var bursts = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = 0; i < 5000; i++)
        {
            PendingPlaceholders.StartsBurst(bursts, $"old-{i}", T0);
        }

        PendingPlaceholders.StartsBurst(bursts, "new", T0 + PendingPlaceholders.AuditBurstGap);

        Assert.Equal(["new"], bursts.Keys);
    }
}
