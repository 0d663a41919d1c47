using System.Collections;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Fleet.Portal.Messaging;

/// <summary>
/// Exactly-once for QoS 2 (MQTT 5 §4.3.3, method B): from a PUBLISH until its PUBREL, the same packet identifier is
/// the same message, however often the client re-sends it (with DUP after a reconnect). MQTTnet hands every copy to the
/// publish interceptor, which stored each one; this remembers the identifiers in flight in the client's session and
/// marks a re-sent copy so that it is acknowledged again but not stored again.
/// </summary>
internal static class Qos2Duplicates
{
    private const string InFlightKey = "fleet.qos2.in-flight";
    private const string DuplicateKey = "fleet.qos2.duplicate";

    /// <summary>At most this many identifiers are remembered (MQTT's whole identifier space is 65,535).</summary>
    private const int MaxInFlight = 65_535;

    /// <summary>
    /// Follows an inbound packet, before the broker handles it (packets of one client arrive in order).
    /// </summary>
    public static void Track(MqttPacket packet, IDictionary? sessionItems)
    {
        if (sessionItems is null)
        {
            return;
        }

        switch (packet)
        {
            case MqttPublishPacket { QualityOfServiceLevel: MqttQualityOfServiceLevel.ExactlyOnce } publish:
                var inFlight = sessionItems[InFlightKey] as HashSet<ushort>;
                if (inFlight is null)
                {
                    sessionItems[InFlightKey] = inFlight = [];
                }

                if (!inFlight.Add(publish.PacketIdentifier))
                {
                    sessionItems[DuplicateKey] = true;
                }
                else if (inFlight.Count > MaxInFlight)
                {
                    inFlight.Clear();   // a client that never releases: forget rather than grow
                }

                break;
            case MqttPubRelPacket release when sessionItems[InFlightKey] is HashSet<ushort> released:
                released.Remove(release.PacketIdentifier);
                break;
        }
    }

    /// <summary>Whether the publish being intercepted is a re-sent QoS 2 copy (and clears the mark).</summary>
    public static bool IsDuplicate(IDictionary? sessionItems)
    {
        if (sessionItems?[DuplicateKey] is not true)
        {
            return false;
        }

        sessionItems.Remove(DuplicateKey);
        return true;
    }
}
