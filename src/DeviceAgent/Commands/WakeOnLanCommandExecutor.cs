using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// <see cref="CommandKinds.WakeOnLan"/>: this device relays a Wake-on-LAN magic packet for a sleeping device on its
/// own network segment, by UDP with SO_BROADCAST to the address and port the portal chose (the segment's broadcast
/// address; port 9 unless given). Arguments that break <see cref="CommandRules"/> are refused with the reason and
/// nothing is sent (the ledger refuses them first; this holds for any caller).
/// </summary>
public sealed class WakeOnLanCommandExecutor : ICommandExecutor
{
    /// <summary>The port when the command names none (the "discard" port Wake-on-LAN listens on).</summary>
    public const int DefaultPort = 9;

    /// <summary>6 bytes of 0xFF, then the MAC address 16 times.</summary>
    public const int PacketLength = 6 + (16 * 6);

    public IReadOnlyCollection<string> Kinds { get; } = [CommandKinds.WakeOnLan];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var problems = CommandRules.Problems(CommandKinds.WakeOnLan, command.Arguments);
        if (problems.Count > 0)
        {
            return new CommandOutcome(false,
                Detail: "Refused: " + string.Join(" ", problems.Select(p => $"{p.Argument}: {p.Problem}")));
        }

        var arguments = command.Arguments!;
        MacAddress.TryNormalize(arguments[CommandArguments.Mac], out var mac);
        var port = arguments.TryGetValue(CommandArguments.Port, out var text)
            ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : DefaultPort;
        var endpoint = new IPEndPoint(IPAddress.Parse(arguments[CommandArguments.Address]), port);
        try
        {
            using var udp = new UdpClient(AddressFamily.InterNetwork) { EnableBroadcast = true };
            var sent = await udp.SendAsync(MagicPacket(mac), endpoint, cancellationToken);
            return new CommandOutcome(true, Detail: $"Sent a {sent}-byte magic packet for {mac} to {endpoint}.");
        }
        catch (SocketException ex)
        {
            return new CommandOutcome(false, Error: ex.Message, Detail: $"Sending to {endpoint} failed: {ex.Message}");
        }
    }

    /// <summary>The magic packet for a MAC address: 6 × 0xFF, then its 6 bytes 16 times.</summary>
    public static byte[] MagicPacket(string mac)
    {
        if (!MacAddress.TryNormalize(mac, out var normalized))
        {
            throw new ArgumentException("Not a MAC address.", nameof(mac));
        }

        var bytes = Convert.FromHexString(normalized.Replace(":", string.Empty, StringComparison.Ordinal));
        var packet = new byte[PacketLength];
        packet.AsSpan(0, 6).Fill(0xFF);
        for (var i = 0; i < 16; i++)
        {
            bytes.CopyTo(packet, 6 + (i * 6));
        }

        return packet;
    }
}
