using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// A recording stand-in for systemd running <c>fleet-agent.service</c> with a real agent binary, as far as self-update
/// needs it: the unit's process is restarted whenever it exits (<c>Restart=always</c>, a short pause instead of 5 s);
/// five starts within two minutes fail the unit and run <c>OnFailure=fleet-agent-rollback.service</c>
/// (<c>fleet-agent.previous --rollback-if-pending</c>); a <c>systemd-run --on-active=N</c> timer runs its command when
/// due unless <c>systemctl stop</c> cancels it; <c>systemctl restart fleet-agent.service</c> restarts the unit. The
/// agent reaches <c>systemctl</c> and <c>systemd-run</c> through the fake-OS stand-ins on PATH
/// (tests/DeviceAgent.Tests/Fixtures/fake-os), which record each call in <c>calls.log</c>; this class acts on them.
/// </summary>
public sealed partial class AgentServiceStandIn : IAsyncDisposable
{
    private const int StartLimitBurst = 5;
    private static readonly TimeSpan StartLimitInterval = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan RestartPause = TimeSpan.FromMilliseconds(300);

    private readonly string _binary;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _calls;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<DateTimeOffset> _starts = [];
    private readonly Dictionary<string, (DateTimeOffset Due, string[] Command)> _timers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Task _loop;
    private Process? _process;
    private bool _restartRequested;
    private int _callsRead;

    private AgentServiceStandIn(string binary, IReadOnlyDictionary<string, string> environment, string fakeOs)
    {
        _binary = binary;
        _environment = environment;
        _calls = Path.Combine(fakeOs, "calls.log");
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Every line of the agent's output, all starts together.</summary>
    public List<string> Output { get; } = [];

    /// <summary>What the stand-in did (starts, exits, the unit failing, timers), for failure messages.</summary>
    public List<string> Journal { get; } = [];

    /// <summary>
    /// Starts the unit: <paramref name="binary"/> with <paramref name="environment"/>, PATH leading to the systemctl
    /// and systemd-run stand-ins (and only those) with their fake-OS folder under <paramref name="work"/>.
    /// </summary>
    public static AgentServiceStandIn Start(string binary, IDictionary<string, string> environment, string work)
    {
        var fakeOs = Path.Combine(work, "fake-os");
        var bin = Path.Combine(work, "fake-os-bin");
        Directory.CreateDirectory(fakeOs);
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(fakeOs, "state"), string.Empty);
        foreach (var tool in new[] { "systemctl", "systemd-run" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool),
                Repository.PathOf("tests", "DeviceAgent.Tests", "Fixtures", "fake-os", tool));
        }

        var all = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["FLEET_FAKE_OS"] = fakeOs,
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        return new AgentServiceStandIn(binary, all, fakeOs);
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (StartLimitHit())
            {
                Note("unit failed: start limit hit; OnFailure=fleet-agent-rollback.service");
                await RunOnceAsync([_binary + ".previous", "--rollback-if-pending"], token);
                await WaitForRestartRequestAsync(token);
                lock (_gate)
                {
                    _starts.Clear();
                }
            }

            lock (_gate)
            {
                _restartRequested = false;
                _starts.Add(DateTimeOffset.UtcNow);
                _process = Launch([_binary]);
            }

            Note("started " + _binary);
            while (!_process.HasExited && !token.IsCancellationRequested && !TakeRestartRequest())
            {
                await PollCallsAsync(token);
                await Task.Delay(100, CancellationToken.None);
            }

            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }

            Note($"exited with {_process.ExitCode}");
            _process.Dispose();
            await Task.Delay(RestartPause, CancellationToken.None);
        }
    }

    private bool StartLimitHit()
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            return _starts.Count(s => now - s < StartLimitInterval) >= StartLimitBurst;
        }
    }

    private bool TakeRestartRequest()
    {
        lock (_gate)
        {
            var requested = _restartRequested;
            _restartRequested = false;
            return requested;
        }
    }

    private async Task WaitForRestartRequestAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested && !TakeRestartRequest())
        {
            await PollCallsAsync(token);
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>Acts on the systemctl and systemd-run calls recorded since the last poll, and on due timers.</summary>
    private async Task PollCallsAsync(CancellationToken token)
    {
        var lines = File.Exists(_calls) ? await File.ReadAllLinesAsync(_calls, CancellationToken.None) : [];
        for (; _callsRead < lines.Length; _callsRead++)
        {
            var line = lines[_callsRead];
            Note("call: " + line);
            if (SystemdRun().Match(line) is { Success: true } run)
            {
                var command = run.Groups["command"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                _timers[run.Groups["unit"].Value] = (
                    DateTimeOffset.UtcNow.AddSeconds(int.Parse(run.Groups["seconds"].Value,
                        System.Globalization.CultureInfo.InvariantCulture)), command);
            }
            else if (line.StartsWith("systemctl stop ", StringComparison.Ordinal))
            {
                foreach (var unit in line["systemctl stop ".Length..].Split(' '))
                {
                    _timers.Remove(unit.Replace(".timer", string.Empty, StringComparison.Ordinal));
                }
            }
            else if (line is "systemctl restart fleet-agent.service" or "systemctl restart fleet-agent")
            {
                lock (_gate)
                {
                    _restartRequested = true;
                }
            }
        }

        foreach (var (unit, (due, command)) in _timers.ToList())
        {
            if (DateTimeOffset.UtcNow >= due)
            {
                _timers.Remove(unit);
                Note("timer " + unit + " ran");
                await RunOnceAsync(command, token);
            }
        }
    }

    private async Task RunOnceAsync(string[] command, CancellationToken token)
    {
        using var process = Launch(command);
        await process.WaitForExitAsync(token);
        Note($"{string.Join(' ', command)} exited with {process.ExitCode}");
    }

    private Process Launch(string[] command)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command[1..])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (Output)
            {
                Output.Add(line);
            }
        }
    }

    private void Note(string what)
    {
        lock (Journal)
        {
            Journal.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {what}");
        }
    }

    /// <summary>The stand-in's journal and the agent's last output lines, for a failure message.</summary>
    public string Describe()
    {
        lock (Journal)
        {
            lock (Output)
            {
                return string.Join('\n', Journal) + "\n--- agent output (last 60 lines) ---\n"
                    + string.Join('\n', Output.TakeLast(60));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped while running the restorer.
        }

        _stop.Dispose();
    }

    [GeneratedRegex(
        @"^systemd-run --on-active=(?<seconds>\d+)s? .*--unit (?<unit>\S+) .*?(?<command>/\S+ --rollback-if-pending)$")]
    private static partial Regex SystemdRun();
}
