using System.Diagnostics;
using System.Globalization;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// A native agent build (<c>scripts/build-agent.sh</c>) running as its own process against a portal on this machine,
/// configured the way <c>/etc/fleet-agent/agent.env</c> configures it on a device: environment variables only. The
/// aarch64 build runs under <c>qemu-aarch64-static</c> with Debian's arm64 libraries and the arm64 <c>libssl3</c> that
/// <c>scripts/test.sh</c> unpacks into <see cref="Arm64Libraries"/>. Its output goes to <see cref="LogPath"/>.
/// </summary>
public sealed class NativeAgentProcess : IAsyncDisposable
{
    /// <summary>Debian's arm64 C library (package <c>libc6-dev-arm64-cross</c>), the qemu-user sysroot.</summary>
    public const string Arm64SysRoot = "/usr/aarch64-linux-gnu";

    private const string Qemu = "qemu-aarch64-static";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();

    private NativeAgentProcess(Process process, string folder)
    {
        _process = process;
        Folder = folder;
        _log = new StreamWriter(Path.Combine(folder, "agent.log")) { AutoFlush = true };
    }

    /// <summary>Where <c>scripts/test.sh</c> unpacks Debian's arm64 <c>libssl3</c> (not committed).</summary>
    public static string Arm64Libraries =>
        Repository.PathOf("artifacts", "arm64-libs", "usr", "lib", "aarch64-linux-gnu");

    /// <summary>The temp folder holding the agent's state directory and log.</summary>
    public string Folder { get; }

    /// <summary>The agent's state directory (<c>Agent__StateDirectory</c>).</summary>
    public string StateDirectory => Path.Combine(Folder, "state");

    /// <summary>Everything the agent wrote to stdout and stderr.</summary>
    public string LogPath => Path.Combine(Folder, "agent.log");

    /// <summary>The process id (qemu's under emulation: it is the agent's process).</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>
    /// What is missing on this machine to build (<c>scripts/build-agent.sh</c>) and run the native agent for
    /// <paramref name="architecture"/>, naming what to install; null when nothing is.
    /// </summary>
    public static string? MissingTools(string architecture)
    {
        if (!OnPath("clang"))
        {
            return "clang is not installed (apt-get install clang; scripts/test.sh does this as root)";
        }

        if (architecture == "x86_64")
        {
            return null;
        }

        if (!OnPath("aarch64-linux-gnu-ld") || !Directory.Exists("/usr/lib/gcc-cross/aarch64-linux-gnu"))
        {
            return "no aarch64 cross toolchain (apt-get install gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)";
        }

        if (!File.Exists(Path.Combine(Arm64SysRoot, "lib", "ld-linux-aarch64.so.1")))
        {
            return $"{Arm64SysRoot} has no arm64 C library (apt-get install libc6-dev-arm64-cross)";
        }

        if (!OnPath(Qemu))
        {
            return $"{Qemu} is not installed (apt-get install qemu-user-static)";
        }

        return File.Exists(Path.Combine(Arm64Libraries, "libssl.so.3"))
            ? null
            : $"no arm64 libssl3 in {Arm64Libraries} (scripts/test.sh unpacks it when run as root)";
    }

    /// <summary>
    /// Starts <paramref name="binary"/> against the broker on 127.0.0.1:<paramref name="mqttPort"/>, enrolling with
    /// <paramref name="enrollmentToken"/>, its state in a new temp folder and its claim banner kept out of this
    /// machine's <c>/etc</c> and its home in that folder. <paramref name="environment"/> adds or overrides variables;
    /// <paramref name="arguments"/> are the command line (e.g. <c>simulate</c>).
    /// </summary>
    public static NativeAgentProcess Start(
        string binary,
        string architecture,
        int mqttPort,
        string enrollmentToken,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? arguments = null)
    {
        var folder = Directory.CreateTempSubdirectory("fleet-native-agent-").FullName;
        var start = architecture == "x86_64"
            ? new ProcessStartInfo(binary, arguments ?? [])
            : new ProcessStartInfo(Qemu, ["-L", Arm64SysRoot, binary, .. arguments ?? []]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = folder;
        if (architecture != "x86_64")
        {
            start.Environment["LD_LIBRARY_PATH"] = Arm64Libraries;
        }

        start.Environment["Agent__BrokerHost"] = "127.0.0.1";
        start.Environment["Agent__BrokerPort"] = mqttPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Agent__PlainMqtt"] = "true";
        start.Environment["Agent__StateDirectory"] = Path.Combine(folder, "state");
        start.Environment["Agent__EnrollmentToken"] = enrollmentToken;
        start.Environment["Agent__ClaimBannerRoot"] = Path.Combine(folder, "banner-root");
        start.Environment["HOME"] = folder;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var agent = new NativeAgentProcess(process, folder);
        process.OutputDataReceived += (_, e) => agent.Write(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>The resident set now, from <c>/proc/PID/status</c>: total, anonymous and file-backed, in KiB.</summary>
    public (long Rss, long Anonymous, long File) ResidentKiB()
    {
        var fields = File.ReadLines($"/proc/{Id}/status")
            .Select(l => l.Split(':', 2))
            .Where(f => f.Length == 2 && f[0] is "VmRSS" or "RssAnon" or "RssFile")
            .ToDictionary(f => f[0], f => long.Parse(f[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture),
                StringComparer.Ordinal);
        return (fields["VmRSS"], fields["RssAnon"], fields["RssFile"]);
    }

    /// <summary>CPU time used so far, user and system.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Waits (at most two minutes) for the agent to exit on its own; its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>The agent's output so far.</summary>
    public string Output()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Kills the agent (and qemu) and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        // Waits for the end of its output as well.
        await _process.WaitForExitAsync();
        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Write(string? line)
    {
        lock (_gate)
        {
            if (line is not null)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
        .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}
