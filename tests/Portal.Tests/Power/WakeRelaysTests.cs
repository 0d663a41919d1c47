using System.Net;
using Fleet.Portal.Features.Power;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Power;

/// <summary>The relay choice and broadcast address as pure functions of what devices reported.</summary>
public sealed class WakeRelaysTests
{
    private static readonly DeviceNetwork Sleeper = Device("sleeper", "52:54:00:00:00:99", "10.2.0.9/24");

    [Fact]
    public void Choose_TwoCandidatesOnDifferentPrefixes_PicksTheOneOnTheSleepersSegment()
    {
        var a = Device("a", "52:54:00:00:00:01", "10.1.0.5/24");
        var b = Device("b", "52:54:00:00:00:02", "10.2.0.5/24");

        var route = WakeRelays.Choose(Sleeper, [a, b]);

        Assert.Equal((b.DeviceId, "52:54:00:00:00:99", IPAddress.Parse("10.2.0.255"), "10.2.0.0/24"),
            (route!.RelayId, route.Mac, route.Broadcast, route.Segment));
    }

    [Fact]
    public void Choose_SameAddressesOtherPrefix_NotTheSameSegment()
    {
        // 10.2.0.5/16 contains the sleeper's address, but a /16 and a /24 are different segments.
        Assert.Null(WakeRelays.Choose(Sleeper, [Device("wide", "52:54:00:00:00:03", "10.2.0.5/16")]));
    }

    [Fact]
    public void Choose_RelayInterfaceDownOrOnlyIpv6_NotChosen()
    {
        var down = Device("down", "52:54:00:00:00:04", "10.2.0.6/24") with
        {
            Interfaces = [new InterfaceCounters("eth0", "52:54:00:00:00:04", false, ["10.2.0.6/24"], 0, 0)],
        };
        var v6 = Device("v6", "52:54:00:00:00:05", "fd00::5/64");

        Assert.Null(WakeRelays.Choose(Sleeper, [down, v6]));
    }

    [Fact]
    public void Choose_SleeperWithTwoInterfaces_WakesTheMacOfTheSharedSegment()
    {
        var sleeper = Sleeper with
        {
            Interfaces =
            [
                new InterfaceCounters("eth0", "52:54:00:00:00:a0", true, ["192.168.7.20/20"], 0, 0),
                new InterfaceCounters("eth1", "52:54:00:00:00:a1", true, ["10.9.0.2/24"], 0, 0),
            ],
        };

        var route = WakeRelays.Choose(sleeper, [Device("relay", "52:54:00:00:00:06", "192.168.1.1/20")]);

        Assert.Equal(("52:54:00:00:00:a0", "192.168.15.255", "192.168.0.0/20"),
            (route!.Mac, route.Broadcast.ToString(), route.Segment));
    }

    [Fact]
    public void Choose_TheSleeperItself_NeverItsOwnRelay() =>
        Assert.Null(WakeRelays.Choose(Sleeper, [Sleeper]));

    [Theory]
    [InlineData("10.0.0.1/8", "10.255.255.255")]
    [InlineData("127.0.0.1/8", "127.255.255.255")]
    [InlineData("172.16.5.4/30", "172.16.5.7")]
    [InlineData("192.168.1.10/24", "192.168.1.255")]
    public void Broadcast_Ipv4Cidr_AllHostBitsSet(string cidr, string broadcast)
    {
        Assert.True(WakeRelays.TryParseIpv4(cidr, out var segment));
        Assert.Equal(broadcast, WakeRelays.Broadcast(segment).ToString());
    }

    [Theory]
    [InlineData("10.0.0.1/31")]
    [InlineData("10.0.0.1/32")]
    [InlineData("10.0.0.1")]
    [InlineData("fd00::1/64")]
    [InlineData("10.0.0.1/x")]
    public void TryParseIpv4_NoBroadcastSegment_Refused(string cidr) =>
        Assert.False(WakeRelays.TryParseIpv4(cidr, out _));

    private static DeviceNetwork Device(string name, string mac, string cidr) =>
        new(Guid.NewGuid(), name, mac, [new InterfaceCounters("eth0", mac, true, [cidr], 0, 0)]);
}
