using System.Diagnostics;
using System.Globalization;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>The broker's TCP listener as the kernel sees it (<c>ss</c>, from iproute2).</summary>
public sealed class BrokerListenerTests
{
    [Fact]
    public async Task Listener_BacklogIsTheConfiguredOne_DefaultWellAboveMqttnets10()
    {
        await using (var portal = await PortalInstance.StartAsync())
        {
            Assert.All(await ListenBacklogsAsync(portal.MqttPort), backlog => Assert.Equal(1024, backlog));
        }

        await using (var portal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Fleet:Mqtt:ConnectionBacklog"] = "300" }))
        {
            Assert.All(await ListenBacklogsAsync(portal.MqttPort), backlog => Assert.Equal(300, backlog));
        }
    }

    /// <summary>
    /// The backlog of each socket listening on <paramref name="port"/> (one: the broker binds exactly its address): for
    /// a
    /// listening socket, <c>ss</c>'s Send-Q column is the backlog it was given.
    /// </summary>
    private static async Task<int[]> ListenBacklogsAsync(int port)
    {
        var start = new ProcessStartInfo("ss", ["-ltnH", $"sport = :{port}"]) { RedirectStandardOutput = true };
        using var ss = Process.Start(start)!;
        var output = await ss.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await ss.WaitForExitAsync(TestContext.Current.CancellationToken);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);

        // State Recv-Q Send-Q Local Peer
        return [.. lines.Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture))];
    }
}
