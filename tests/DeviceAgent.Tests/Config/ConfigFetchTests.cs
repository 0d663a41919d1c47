using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

/// <summary>Configs and file contents fetched over HTTP from a real listener on loopback.</summary>
public sealed class ConfigFetchTests : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Task _serving;
    private readonly string _base;

    public ConfigFetchTests()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _base = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }

        _listener.Prefixes.Add(_base);
        _listener.Start();
        _serving = ServeAsync();
    }

    [Fact]
    public async Task ApplyAsync_ConfigByUrlWithRemoteFile_FetchesVerifiesAndApplies()
    {
        using var rig = new ConfigRig();
        var payload = Encoding.UTF8.GetBytes("remote\n");
        _files["/files/motd"] = payload;
        var json = """
            {"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"BASEfiles/motd","verification":{"hash":"sha256-HASH"}}}]}}
            """.Replace("BASE", _base, StringComparison.Ordinal).Replace("HASH", Convert.ToHexStringLower(SHA256.HashData(payload)), StringComparison.Ordinal);
        _files["/ignition/dev-1"] = Encoding.UTF8.GetBytes(json);
        var desired = ConfigRig.Desired(json) with { Ignition = null, Url = _base + "ignition/dev-1?sig=abc" };

        var report = await rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);

        Assert.Null(report.Error);
        Assert.Equal(ConfigEntryOutcome.Applied, Assert.Single(report.Entries).Outcome);
        Assert.Equal("remote\n", rig.Read("/etc/motd"));
    }

    [Fact]
    public async Task ApplyAsync_UrlAnswers404_ErrorReportNothingWritten()
    {
        using var rig = new ConfigRig();
        var desired = ConfigRig.Desired("{}") with { Ignition = null, Url = _base + "ignition/missing" };

        var report = await rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);

        Assert.Empty(report.Entries);
        Assert.Contains("answered 404", report.Error, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        // Close alone: after Stop, Close removes the prefixes again, which re-binds the port for a moment and throws
        // "Address already in use" when another test has taken it since.
        _listener.Close();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            if (_files.TryGetValue(context.Request.Url!.AbsolutePath, out var body))
            {
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
    }
}
