using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Power;

/// <summary>A device's network interfaces as its latest health report gave them.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Hostname">Its hostname.</param>
/// <param name="PrimaryMac">The MAC it enrolled with, for an interface that reported none.</param>
/// <param name="Interfaces">Its interfaces with their addresses in CIDR notation.</param>
public sealed record DeviceNetwork(
    Guid DeviceId, string Hostname, string PrimaryMac, IReadOnlyList<InterfaceCounters> Interfaces);

/// <summary>How a sleeping device is woken: which relay sends the magic packet for which MAC, and where to.</summary>
/// <param name="RelayId">The online device that sends the packet.</param>
/// <param name="RelayHostname">Its hostname.</param>
/// <param name="Mac">The sleeping device's MAC on that segment.</param>
/// <param name="Broadcast">The segment's IPv4 broadcast address.</param>
/// <param name="Segment">The segment as <c>network/prefix</c>.</param>
public sealed record WakeRoute(Guid RelayId, string RelayHostname, string Mac, IPAddress Broadcast, string Segment);

/// <summary>
/// Picks the relay for a Wake-on-LAN packet. A magic packet is a layer-2 broadcast that routers do not forward, so the
/// relay must be on the sleeping device's segment: an IPv4 subnet one of the sleeper's interfaces had (same network
/// and prefix) and one of the relay's interfaces has, up. Pure, so its cases run without a portal.
/// </summary>
public static class WakeRelays
{
    /// <summary>
    /// The first relay (in the candidates' order: the caller puts the freshest reports first) that shares an IPv4
    /// segment with <paramref name="sleeper"/>; null when none does.
    /// </summary>
    public static WakeRoute? Choose(DeviceNetwork sleeper, IEnumerable<DeviceNetwork> candidates)
    {
        ArgumentNullException.ThrowIfNull(sleeper);
        ArgumentNullException.ThrowIfNull(candidates);
        var segments = SegmentsOf(sleeper, upOnly: false).ToList();
        if (segments.Count == 0)
        {
            return null;
        }

        foreach (var relay in candidates.Where(c => c.DeviceId != sleeper.DeviceId))
        {
            var relaySegments = SegmentsOf(relay, upOnly: true).Select(s => s.Segment).ToHashSet();
            if (segments.FirstOrDefault(s => relaySegments.Contains(s.Segment)) is { Mac: not null } match)
            {
                return new WakeRoute(relay.DeviceId, relay.Hostname, match.Mac, Broadcast(match.Segment),
                    Text(match.Segment));
            }
        }

        return null;
    }

    /// <summary>The IPv4 segments a device reports, as <c>network/prefix</c>, one per line (for error messages).
    /// </summary>
    public static IReadOnlyList<string> Describe(DeviceNetwork device) =>
        [.. SegmentsOf(device ?? throw new ArgumentNullException(nameof(device)), upOnly: false)
            .Select(s => Text(s.Segment)).Distinct()];

    /// <summary>Parses <c>a.b.c.d/n</c> (host bits allowed, as interfaces report them) to its IPv4 network.</summary>
    public static bool TryParseIpv4(string? cidr, out (uint Network, int Prefix) segment)
    {
        segment = default;
        var slash = cidr?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash < 0
            || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix is < 1 or > 30)
        {
            return false;   // IPv6 has no broadcast; a /31 or /32 has no other host to wake
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        segment = (value & Mask(prefix), prefix);
        return true;
    }

    /// <summary>The broadcast address of an IPv4 segment: every host bit set.</summary>
    public static IPAddress Broadcast((uint Network, int Prefix) segment)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, segment.Network | ~Mask(segment.Prefix));
        return new IPAddress(bytes);
    }

    private static IEnumerable<((uint, int) Segment, string? Mac)> SegmentsOf(DeviceNetwork device, bool upOnly) =>
        device.Interfaces
            .Where(i => !upOnly || i.IsUp)
            .SelectMany(i => i.Addresses.Select(a => (Ok: TryParseIpv4(a, out var s), s, Mac: MacOf(i, device))))
            .Where(x => x.Ok)
            .Select(x => (x.s, x.Mac));

    private static string? MacOf(InterfaceCounters nic, DeviceNetwork device)
    {
        var mac = nic.Mac ?? device.PrimaryMac;
        return MacAddress.TryNormalize(mac, out var normalized) && !MacAddress.IsZero(normalized) ? normalized : null;
    }

    private static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    private static string Text((uint Network, int Prefix) segment)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, segment.Network);
        return $"{new IPAddress(bytes)}/{segment.Prefix.ToString(CultureInfo.InvariantCulture)}";
    }
}
