using System.Net;
using System.Net.Sockets;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Hosting;

/// <summary>
/// Starts that cannot listen where they are told: one line naming the option and its value, exit code 2, and no
/// stack trace in the log.
/// </summary>
public sealed class StartupErrorTests
{
    private const string Refused = "Fleet portal refused to start: ";

    [Fact]
    public async Task Start_HttpPortInUse_RefusedNamingUrlsAndThePort()
    {
        using var holder = Hold(out var port);

        var run = await PortalProcess.RunAsync(NewDataDirectory(), ["--urls", $"http://127.0.0.1:{port}"]);

        AssertRefused(run, InUse(port));
    }

    [Fact]
    public async Task Start_HttpPortFromTheEnvironmentInUse_RefusedNamingUrlsAndThePort()
    {
        using var holder = Hold(out var port);

        var run = await PortalProcess.RunAsync(NewDataDirectory(), [],
            new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });

        AssertRefused(run, InUse(port));
    }

    [Fact]
    public async Task Start_UrlWithoutANumericPort_RefusedInsteadOfListeningOnPort80()
    {
        var run = await PortalProcess.RunAsync(NewDataDirectory(), ["--urls", "http://127.0.0.1:notaport"]);

        AssertRefused(run, "--urls (ASPNETCORE_URLS, Urls) http://127.0.0.1:notaport is not an address to listen on: "
            + "the port must be a number from 0 to 65535, not 'notaport'");
    }

    [Fact]
    public async Task Start_MqttPortInUse_RefusedNamingTheOptionAndThePort()
    {
        using var holder = Hold(out var port);

        var run = await PortalProcess.RunAsync(NewDataDirectory(), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["Fleet__Mqtt__Port"] = $"{port}" });

        AssertRefused(run,
            $"Fleet:Mqtt:Port {port} is in use by another process (on Fleet:Mqtt:BindAddress 127.0.0.1)");
    }

    [Fact]
    public async Task Start_MqttPortOutOfRange_RefusedNamingTheOptionAndTheValue()
    {
        var run = await PortalProcess.RunAsync(NewDataDirectory(), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["Fleet__Mqtt__Port"] = "70000" });

        AssertRefused(run, "Fleet:Mqtt:Port 70000: The field Port must be between 0 and 65535.");
    }

    [Fact]
    public async Task Start_PublicBaseUrlNotHttp_RefusedNamingTheOption()
    {
        var run = await PortalProcess.RunAsync(NewDataDirectory(), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["Fleet__Updates__PublicBaseUrl"] = "ftp://fleet.example.org/" });

        AssertRefused(run, "Fleet:Updates:PublicBaseUrl must be an absolute http or https URL without query");
    }

    [Theory]
    [InlineData("http://*:8080")]
    [InlineData("http://+:80")]
    [InlineData("http://localhost:5000")]
    [InlineData("http://[::1]:5000")]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("https://portal.example.org")]
    [InlineData("http://portal.example.org:8080/")]
    [InlineData("http://unix:/run/fleet.sock")]
    public void UrlProblem_AnAddressKestrelListensOn_None(string url) => Assert.Null(StartupErrors.UrlProblem(url));

    [Theory]
    [InlineData("http://127.0.0.1:notaport", "the port must be a number from 0 to 65535, not 'notaport'")]
    [InlineData("http://127.0.0.1:70000", "the port must be a number from 0 to 65535, not '70000'")]
    [InlineData("http://127.0.0.1:-1", "the port must be a number from 0 to 65535, not '-1'")]
    [InlineData("ftp://portal:21", "the scheme must be http or https, not 'ftp'")]
    [InlineData("http://[::1:5000", "the IPv6 address has no closing ]")]
    [InlineData("http://:5000", "Invalid url: 'http://:5000'")]
    public void UrlProblem_AnAddressKestrelWouldMisread_SaysWhy(string url, string problem) =>
        Assert.Equal(problem, StartupErrors.UrlProblem(url));

    private static string InUse(int port) =>
        $"--urls (ASPNETCORE_URLS, Urls) http://127.0.0.1:{port}: port {port} is in use by another process";

    private static string NewDataDirectory() => Directory.CreateTempSubdirectory("fleet-start-error-").FullName;

    /// <summary>A port another process (this test) listens on.</summary>
    private static TcpListener Hold(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private static void AssertRefused((int ExitCode, string Output, string Errors) run, string reason)
    {
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(Refused + reason, Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var lines = run.Output.Split('\n');
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("fail:", StringComparison.Ordinal)
            || l.StartsWith("crit:", StringComparison.Ordinal));
    }
}
