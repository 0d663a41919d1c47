using System.Security.Cryptography;
using System.Text;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

/// <summary>Configs and file contents fetched over HTTP from a real listener on loopback.</summary>
public sealed class ConfigFetchTests : IAsyncDisposable
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly LoopbackHttpServer _server;
    private readonly string _base;

    public ConfigFetchTests()
    {
        _server = new LoopbackHttpServer(request => _files.TryGetValue(request.Path, out var body)
            ? new LoopbackResponse(200, body, "application/octet-stream")
            : new LoopbackResponse(404, []));
        _base = _server.BaseUrl;
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

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
