using System.Diagnostics;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Updates;

/// <summary>What a finished tool said.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The tool's own words for a failure (stderr, else stdout), cut to what an update event may carry.</summary>
    public string Explanation
    {
        get
        {
            var text = (string.IsNullOrWhiteSpace(StandardError) ? StandardOutput : StandardError).Trim();
            text = text.Length == 0 ? $"exit code {ExitCode}" : text;
            return text.Length <= Protocol.MaxUpdateErrorLength ? text : text[..Protocol.MaxUpdateErrorLength];
        }
    }
}

/// <summary>A tool the agent needs is not installed (not found on PATH).</summary>
public sealed class ToolNotFoundException(string program, string searchPath)
    : Exception($"'{program}' was not found on PATH ({searchPath})")
{
    public string Program { get; } = program;
}

/// <summary>Runs an OS tool by name and collects its output.</summary>
public interface IProcessRunner
{
    /// <exception cref="ToolNotFoundException">The program is not on PATH.</exception>
    /// <exception cref="TimeoutException">It did not finish in time (it is killed).</exception>
    Task<ProcessResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null);
}

/// <summary>
/// Runs tools by name from PATH. <paramref name="environment"/> is added to every child's environment;
/// its PATH, when given, is also where the program is looked up: .NET resolves a bare file name against
/// the agent's own PATH, so a PATH meant for the child alone (tests put stand-ins first) must be
/// searched here.
/// </summary>
public sealed class ProcessRunner(IReadOnlyDictionary<string, string>? environment = null) : IProcessRunner
{
    private readonly IReadOnlyDictionary<string, string> _environment = environment ?? new Dictionary<string, string>();

    public async Task<ProcessResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(arguments);
        var searchPath = _environment.TryGetValue("PATH", out var path) ? path : Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        var start = new ProcessStartInfo(Resolve(program, searchPath))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment.Concat(environment ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"'{program}' did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);

        // Tools run on the real clock: they are real processes, which a test's fake clock would never end.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{program} {string.Join(' ', arguments)}' did not finish within {timeout.TotalSeconds:0} s and was killed.");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    private static string Resolve(string program, string searchPath)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return program;
        }

        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        throw new ToolNotFoundException(program, searchPath);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }
}
