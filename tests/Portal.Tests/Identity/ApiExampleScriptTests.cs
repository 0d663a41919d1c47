using System.Diagnostics;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Identity;

/// <summary>scripts/api-example.sh, run with bash and curl against a real portal, as docs/operations.md tells people to.</summary>
public sealed class ApiExampleScriptTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Script_ValidClient_ExitsZeroAndPrintsJson()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);

        var (exit, stdout, stderr) = await RunAsync(Portal.BaseAddress.AbsoluteUri.TrimEnd('/'), client.ClientId, client.ClientSecret, "/api/v1/me");

        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        var me = System.Text.Json.JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(client.ClientId, me.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Script_WrongSecret_ExitsNonZeroWithReason()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);

        var (exit, stdout, stderr) = await RunAsync(Portal.BaseAddress.AbsoluteUri, client.ClientId, "wrong", "/api/v1/me");

        Assert.NotEqual(0, exit);
        Assert.Contains("invalid_client", stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout.Trim());
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "scripts", "api-example.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
