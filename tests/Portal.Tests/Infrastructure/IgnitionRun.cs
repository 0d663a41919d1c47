using System.Diagnostics;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The real Ignition (Debian's 2.14, <c>-platform file</c>) as the shared interop recipe (found by SharedInterop) runs
/// it: a base config that replaces itself with the config at a URL, the fetch stage, then the files stage into
/// <c>root</c> under a work folder (SELinux relabelling stubbed: irrelevant in a test root).
/// </summary>
public static class IgnitionRun
{
    public const string Binary = "/usr/lib/dracut/modules.d/30ignition/ignition";

    /// <summary>Runs both stages for the config at <paramref name="url"/>; asserts each exits 0 and returns the files
    /// stage's log. The files land in <c>root</c> under <paramref name="work"/>. <paramref name="caPem"/>, when given,
    /// is the base config's <c>ignition.security.tls.certificateAuthorities</c> (what an https URL is checked with).
    /// </summary>
    public static async Task<string> FetchAndWriteAsync(string work, Uri url, string? caPem = null)
    {
        var fetch = await FetchAsync(work, url, caPem);
        Assert.True(fetch.ExitCode == 0, fetch.Output);
        var root = Path.Combine(work, "root");
        var run = Path.Combine(work, "run");
        var files = await RunAsync(work, Path.Combine(work, "base.ign"), Path.Combine(work, "stub"), "-platform",
            "file", "-stage", "files", "-root", root, "-log-to-stdout",
            "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"));
        Assert.True(files.ExitCode == 0, files.Output);
        return files.Output;
    }

    /// <summary>The fetch stage alone for the config at <paramref name="url"/> (see
    /// <see cref="FetchAndWriteAsync"/>): its exit code and log. Ignition retries a failed fetch until
    /// <paramref name="giveUpAfter"/> (<c>ignition.timeouts.httpTotal</c>), forever without it.</summary>
    public static async Task<(int ExitCode, string Output)> FetchAsync(
        string work, Uri url, string? caPem = null, TimeSpan? giveUpAfter = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        var root = Path.Combine(work, "root");
        var run = Path.Combine(work, "run");
        var stub = Path.Combine(work, "stub");
        Directory.CreateDirectory(Path.Combine(root, "etc", "selinux"));
        Directory.CreateDirectory(run);
        Directory.CreateDirectory(stub);
        await File.WriteAllTextAsync(
            Path.Combine(root, "etc", "selinux", "config"), "SELINUX=disabled\nSELINUXTYPE=targeted\n");
        var setfiles = Path.Combine(stub, "setfiles");
        await File.WriteAllTextAsync(setfiles, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
        File.SetUnixFileMode(setfiles, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var baseConfig = Path.Combine(work, "base.ign");
        var ignition = new System.Text.Json.Nodes.JsonObject
        {
            ["version"] = "3.3.0",
            ["config"] = new System.Text.Json.Nodes.JsonObject
            {
                ["replace"] = new System.Text.Json.Nodes.JsonObject { ["source"] = url.ToString() },
            },
        };
        if (giveUpAfter is { } limit)
        {
            ignition["timeouts"] = new System.Text.Json.Nodes.JsonObject { ["httpTotal"] = (int)limit.TotalSeconds };
        }

        var config = new System.Text.Json.Nodes.JsonObject { ["ignition"] = ignition };
        if (caPem is not null)
        {
            Fleet.Portal.Features.Certificates.IgnitionTrust.Add(config, caPem);
        }

        await File.WriteAllTextAsync(baseConfig, config.ToJsonString());
        return await RunAsync(work, baseConfig, stub, "-platform", "file", "-stage", "fetch", "-log-to-stdout",
            "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"),
            "-neednet", Path.Combine(run, "neednet"));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string work, string baseConfig, string stub, params string[] args)
    {
        var start = new ProcessStartInfo(Binary, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work,
        };
        start.Environment["IGNITION_CONFIG_FILE"] = baseConfig;
        start.Environment["PATH"] = stub + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
