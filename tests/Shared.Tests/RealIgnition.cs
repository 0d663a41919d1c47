using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Tests;

/// <summary>
/// Runs the real Ignition binary (Debian's 2.14) stages <c>fetch</c> then <c>files</c> with <c>-platform file</c>
/// against a temporary root, the shared interop recipe (found by SharedInterop).
/// </summary>
internal sealed class RealIgnition : IDisposable
{
    public const string Binary = "/usr/lib/dracut/modules.d/30ignition/ignition";

    private readonly string work = Path.Combine(Path.GetTempPath(), $"fleet-ignition-{Guid.NewGuid():N}");

    public RealIgnition()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc", "selinux"));
        Directory.CreateDirectory(Path.Combine(work, "run"));
        Directory.CreateDirectory(Path.Combine(work, "stub"));
        File.WriteAllText(Path.Combine(Root, "etc", "selinux", "config"), "SELINUX=disabled\nSELINUXTYPE=targeted\n");

        // Relabelling is irrelevant in a test root: a setfiles that accepts and ignores its input.
        var setfiles = Path.Combine(work, "stub", "setfiles");
        File.WriteAllText(setfiles, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
        File.SetUnixFileMode(setfiles, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Root => Path.Combine(work, "root");

    /// <summary>Applies <paramref name="config"/> to <see cref="Root"/>; returns Ignition's exit code and log.</summary>
    public (int ExitCode, string Log) Apply(JsonObject config)
    {
        var configFile = Path.Combine(work, "config.ign");
        File.WriteAllText(configFile, config.ToJsonString());
        var run = Path.Combine(work, "run");
        var (fetchCode, fetchLog) = Run(
            ["-platform", "file", "-stage", "fetch", "-log-to-stdout", "-config-cache", Path.Combine(run, "cache.json"),
             "-state-file", Path.Combine(run, "state"), "-neednet", Path.Combine(run, "neednet")],
            configFile);
        if (fetchCode != 0)
        {
            return (fetchCode, fetchLog);
        }

        var (filesCode, filesLog) = Run(
            ["-platform", "file", "-stage", "files", "-root", Root, "-log-to-stdout", "-config-cache", Path.Combine(run, "cache.json"),
             "-state-file", Path.Combine(run, "state")],
            configFile);
        return (filesCode, fetchLog + filesLog);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private (int, string) Run(string[] arguments, string configFile)
    {
        var start = new ProcessStartInfo(Binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["IGNITION_CONFIG_FILE"] = configFile;
        start.Environment["PATH"] = Path.Combine(work, "stub") + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("ignition did not finish");
        }

        return (process.ExitCode, output.Result + error);
    }
}
