using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// <see cref="CommandKinds.WakeOnLan"/>: this device relays a Wake-on-LAN magic packet for a sleeping device on its
/// own network segment, by UDP broadcast to the address and port the portal chose (the sleeping device's subnet
/// broadcast address; port 9 unless given). Bad arguments are refused with the reason, nothing is sent.
/// </summary>
public sealed class WakeOnLanExecutor(ILogger<WakeOnLanExecutor> logger) : ICommandExecutor
{
    /// <summary>The port when the command names none (the "discard" port Wake-on-LAN listens on).</summary>
    public const int DefaultPort = 9;

    /// <summary>6 bytes of 0xFF, then the MAC address 16 times.</summary>
    public const int PacketLength = 6 + (16 * 6);

    public IReadOnlyCollection<string> Kinds { get; } = [CommandKinds.WakeOnLan];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (mac, endpoint, problem) = Parse(command.Arguments);
        if (problem is not null || mac is null || endpoint is null)
        {
            logger.LogWarning("Refused wake-on-lan command {Id}: {Reason}", command.Id, problem);
            return new CommandOutcome(false, Detail: problem);
        }

        try
        {
            using var udp = new UdpClient(AddressFamily.InterNetwork) { EnableBroadcast = true };
            var sent = await udp.SendAsync(MagicPacket(mac), endpoint, cancellationToken);
            var detail = $"Sent a {sent}-byte magic packet for {mac} to {endpoint}.";
            logger.LogInformation("Wake-on-lan command {Id}: {Detail}", command.Id, detail);
            return new CommandOutcome(true, ExitCode: 0, Detail: detail);
        }
        catch (SocketException ex)
        {
            logger.LogWarning("Wake-on-lan command {Id}: sending to {Endpoint} failed: {Reason}",
                command.Id, endpoint, ex.Message);
            return new CommandOutcome(false, Error: ex.Message, Detail: $"Sending to {endpoint} failed: {ex.Message}");
        }
    }

    /// <summary>The MAC to wake and where the packet goes, or why the arguments are refused.</summary>
    public static (string? Mac, IPEndPoint? Endpoint, string? Problem) Parse(
        IReadOnlyDictionary<string, string>? arguments)
    {
        string? Get(string name) => arguments is not null && arguments.TryGetValue(name, out var v) ? v : null;
        if (!MacAddress.TryNormalize(Get(CommandArguments.Mac), out var mac) || MacAddress.IsZero(mac))
        {
            return (null, null, $"'{CommandArguments.Mac}' must be a MAC address such as aa:bb:cc:dd:ee:ff.");
        }

        if (!IPAddress.TryParse(Get(CommandArguments.Address) ?? string.Empty, out var address)
            || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return (null, null, $"'{CommandArguments.Address}' must be an IPv4 (broadcast) address.");
        }

        var port = DefaultPort;
        if (Get(CommandArguments.Port) is { } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
                || port is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort))
        {
            return (null, null, $"'{CommandArguments.Port}' must be a UDP port from 1 to 65535.");
        }

        return (mac, new IPEndPoint(address, port), null);
    }

    /// <summary>The magic packet for a normalised MAC address: 6 × 0xFF, then its 6 bytes 16 times.</summary>
    public static byte[] MagicPacket(string mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var bytes = mac.Split(':').Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .ToArray();
        if (bytes.Length != 6)
        {
            throw new ArgumentException("A MAC address has six bytes.", nameof(mac));
        }

        var packet = new byte[PacketLength];
        packet.AsSpan(0, 6).Fill(0xFF);
        for (var i = 0; i < 16; i++)
        {
            bytes.CopyTo(packet, 6 + (i * 6));
        }

        return packet;
    }
}
