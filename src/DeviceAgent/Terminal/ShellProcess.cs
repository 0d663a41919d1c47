using System.Diagnostics;
using System.Globalization;

namespace Fleet.DeviceAgent.Terminal;

/// <summary>
/// One interactive shell on a pseudo-terminal: util-linux <c>script</c> runs <c>{shell} -i</c> on a pty of the asked
/// size, so the shell echoes, edits lines and prints its prompt as on a console. Its pty output arrives on
/// <c>script</c>'s standard output. Not the agent's process runner: that runs a command to its end and returns its
/// output, this streams both ways for as long as the session lasts.
/// </summary>
internal sealed class ShellProcess : IDisposable
{
    private readonly Process _process;

    private ShellProcess(Process process) => _process = process;

    /// <summary>The shell's output, decoded as UTF-8 (a character split across reads is kept whole).</summary>
    public StreamReader Output => _process.StandardOutput;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts the shell; throws when <c>script</c> cannot be started.</summary>
    public static ShellProcess Start(TerminalAgentOptions options, int columns, int rows)
    {
        ArgumentNullException.ThrowIfNull(options);
        var info = new ProcessStartInfo(options.ScriptPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };

        // -q no banner, -f flush at once, -e the shell's exit code; no log file. The size is set on the pty before
        // the shell starts (script has no terminal of its own to copy a size from).
        foreach (var argument in new[] { "-qfe", "-c", Command(options.Shell, columns, rows), "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["TERM"] = "xterm-256color";
        info.Environment["SHELL"] = "/bin/sh";   // what script runs the -c command with
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{options.ScriptPath} did not start");
        return new ShellProcess(process);
    }

    internal static string Command(string shell, int columns, int rows) => string.Create(
        CultureInfo.InvariantCulture, $"stty cols {columns} rows {rows} 2>/dev/null; exec {shell} -i");

    public async Task WriteAsync(string keys, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteAsync(keys.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Ends the shell and everything it started.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
