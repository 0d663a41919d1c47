using System.Diagnostics;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The real Ignition (Debian's 2.14, <c>-platform file</c>) as ../shared/interop/README.md runs it: a base config
/// that replaces itself with the config at a URL, the fetch stage, then the files stage into <c>root</c> under a
/// work folder (SELinux relabelling stubbed: irrelevant in a test root).
/// </summary>
public static class IgnitionRun
{
    public const string Binary = "/usr/lib/dracut/modules.d/30ignition/ignition";

    /// <summary>Runs both stages for the config at <paramref name="url"/>; asserts each exits 0 and returns the files
    /// stage's log. The files land in <c>root</c> under <paramref name="work"/>.</summary>
    public static async Task<string> FetchAndWriteAsync(string work, Uri url)
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
        await File.WriteAllTextAsync(baseConfig,
            "{\"ignition\":{\"version\":\"3.3.0\",\"config\":{\"replace\":{\"source\":\"" + url + "\"}}}}");

        var fetch = await RunAsync(work, baseConfig, stub, "-platform", "file", "-stage", "fetch", "-log-to-stdout",
            "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"),
            "-neednet", Path.Combine(run, "neednet"));
        Assert.True(fetch.ExitCode == 0, fetch.Output);
        var files = await RunAsync(work, baseConfig, stub, "-platform", "file", "-stage", "files", "-root", root,
            "-log-to-stdout",
            "-config-cache", Path.Combine(run, "cache.json"), "-state-file", Path.Combine(run, "state"));
        Assert.True(files.ExitCode == 0, files.Output);
        return files.Output;
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
