using System.Diagnostics;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The portal as its own process (<c>dotnet Fleet.Portal.dll</c>), for what only a process shows: its exit code and
/// what it prints. Runs until it exits; the tests that use it expect it to refuse to start.
/// </summary>
public static class PortalProcess
{
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string dataDirectory, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var portal = Path.Combine(AppContext.BaseDirectory, "Fleet.Portal.dll");
        var start = new ProcessStartInfo("dotnet", [portal, .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["Fleet__Storage__DataDirectory"] = dataDirectory;
        start.Environment["Fleet__Mqtt__Port"] = "0"; // the broker binds a free port; these runs never connect
        start.Environment["Fleet__Mqtt__BindAddress"] = "127.0.0.1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = await process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, errors);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The portal ({string.Join(' ', args)}) did not exit within a minute.");
        }
    }
}
