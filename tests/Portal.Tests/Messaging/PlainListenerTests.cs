using System.Net.Sockets;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>A portal configured as in production: MQTTS only, no plain MQTT listener at all.</summary>
public sealed class PlainListenerTests
{
    [Fact]
    public async Task PlainPortUnset_NoPlainListener_PlainClientRefused()
    {
        // What a production portal has: Fleet:Mqtt:PlainPort absent (PortalInstance opens one unless told not to).
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Mqtt:PlainPort"] = null,
        });
        var broker = portal.Services.GetRequiredService<EmbeddedBroker>();

        Assert.Null(broker.PlainPort);
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Message.Contains("Plain MQTT", StringComparison.Ordinal));

        // Nothing listens on the standard plain port, and plain MQTT on the TLS port gets no CONNACK.
        using var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(
            async () => await plain.ConnectAsync("127.0.0.1", 1883, TestContext.Current.CancellationToken));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        var failure = await Record.ExceptionAsync(async () =>
        {
            var (client, _) = await TestMqttClient.ConnectBootstrapAsync(broker.Port);
            await client.DisposeAsync();
        });
        Assert.NotNull(failure);
    }
}
