using System.Net;
using System.Net.Sockets;
using Fleet.Portal.Messaging;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// A token bucket per remote address for the anonymous device-facing config endpoints (<c>/ignition</c> without a
/// valid signature, <c>/boot.ipxe</c>): <see cref="ConfigOptions.AnonymousRequestBurst"/> at once, refilled at
/// <see cref="ConfigOptions.AnonymousRequestsPerMinute"/>. Checked before any database work, so a flood from one
/// address costs a dictionary lookup per request.
/// </summary>
public sealed class AnonymousRequestLimiter
{
    private readonly TokenBuckets _buckets;

    public AnonymousRequestLimiter(IOptions<ConfigOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var perMinute = options.Value.AnonymousRequestsPerMinute;
        _buckets = new TokenBuckets(options.Value.AnonymousRequestBurst, perMinute / 60.0, time);
        RetryAfterSeconds = (int)Math.Ceiling(60.0 / perMinute);
    }

    /// <summary>When an emptied bucket holds a token again (the <c>Retry-After</c> to answer).</summary>
    public int RetryAfterSeconds { get; }

    /// <summary>Takes one request from <paramref name="address"/>'s allowance; false when it is used up.</summary>
    public bool TryTake(IPAddress? address) => _buckets.TryTake(KeyOf(address));

    /// <summary>An IPv4 address, or the /64 of an IPv6 one (one host usually holds a whole /64).</summary>
    internal static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
