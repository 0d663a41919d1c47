using System.Net;
using System.Net.Sockets;

namespace Fleet.Portal.Tests.Infrastructure;

/// <remarks>
/// Only for processes that cannot bind port 0 and report the port back (mosquitto in HealthBenchmark).
/// Tests bind port 0 and read the port back instead.
/// </remarks>
public static class FreePort
{
    /// <summary>
    /// A loopback TCP port that was free a moment ago, chosen below Linux's ephemeral range (32768+):
    /// a port from bind(0) is in that range, where the many outgoing connections of a parallel test run
    /// can take it between this probe and the server binding it.
    /// </summary>
    public static int Next()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) when (attempt < 200)
            {
                // Taken; try another.
            }
        }
    }
}
