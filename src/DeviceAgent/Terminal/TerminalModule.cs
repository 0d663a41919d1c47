using System.Collections.Concurrent;
using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Terminal;

/// <summary>
/// The browser terminal on the device: a shell per session the portal opens on
/// <c>fleet/devices/{id}/terminal/{session}/in</c>, its output sent on <c>…/out</c>. A session ends when the portal
/// closes it, when its time limit (the portal's, at most <see cref="TerminalAgentOptions.MaxSessionSeconds"/>) or idle
/// limit passes, when its shell exits, or when the connection is lost; the portal is told why. At most
/// <see cref="TerminalAgentOptions.MaxSessions"/> at once.
/// </summary>
public sealed class TerminalModule(TerminalAgentOptions options, TimeProvider time, ILogger logger)
    : IDeviceModule, IDisposable
{
    // Output messages a shell may have waiting to be sent; then its reader waits (the shell blocks on its pty).
    private const int MaxWaitingPerSession = 32;

    private readonly ConcurrentDictionary<string, TerminalShell> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(TerminalShell Shell, TerminalOutput Message)> _outbox = new();
    private EventHandler? _wake;

    /// <summary>Sessions open now.</summary>
    public int OpenSessions => _sessions.Count;

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        topics.Add(new(Topics.TerminalInputFilter(deviceId), "no browser terminal can be opened"));
    }

    public void OnOnline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _wake = session.Wake;
    }

    /// <summary>Nobody can see a shell without a connection: every session ends.</summary>
    public void OnOffline(DeviceSession session)
    {
        _wake = null;
        foreach (var shell in _sessions.Values)
        {
            End(shell, "connection lost", tell: false);
        }

        _outbox.Clear();
    }

    public async ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!Topics.TryParse(topic, out var parsed) || parsed.Kind != TopicKind.TerminalInput)
        {
            return false;
        }

        if (parsed.Id != session.DeviceId || parsed.Session is not { } id)
        {
            logger.LogWarning("Terminal input on {Topic} dropped: not this device's", topic);
            return false;
        }

        var problem = MessageJson.TryDeserialize(payload, FleetJson.Default.TerminalInput, out var input)
            ? TerminalRules.Problem(input)
            : "unreadable";
        if (problem is not null || input is null)
        {
            logger.LogWarning("Terminal input for session {Session} dropped: {Problem}", id, problem);
            return false;
        }

        var now = time.GetUtcNow();
        switch (input.Kind)
        {
            case TerminalInputKind.Open:
                Open(session.DeviceId, id, input, now);
                break;
            case TerminalInputKind.Data when _sessions.TryGetValue(id, out var shell):
                shell.LastInput = now;
                await shell.WriteAsync(input.Data!, logger, cancellationToken);
                break;
            case TerminalInputKind.Close when _sessions.TryGetValue(id, out var closing):
                End(closing, "closed", tell: true);
                break;
            default:
                logger.LogInformation("Terminal {Kind} for session {Session} ignored: no such session open",
                    input.Kind, id);
                break;
        }

        return false;
    }

    public async ValueTask<bool> TrySendAsync(
        DeviceSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var shell in _sessions.Values)
        {
            if (now >= shell.Deadline)
            {
                End(shell, "time limit", tell: true);
            }
            else if (now >= shell.LastInput + shell.IdleLimit)
            {
                End(shell, "idle", tell: true);
            }
        }

        if (!_outbox.TryDequeue(out var next))
        {
            return false;
        }

        if (next.Message.Kind == TerminalOutputKind.Data)
        {
            next.Shell.Sent();
        }

        var topic = Topics.TerminalOutput(session.DeviceId, next.Shell.Id);
        if (!await session.PublishAsync(topic, next.Message, FleetJson.Default.TerminalOutput, cancellationToken)
            && next.Shell.FirstRefusal())
        {
            // Over the portal's rate for terminal output, say: that piece is lost. Once per session, not per piece.
            logger.LogWarning("The portal refused terminal output {Sequence} of session {Session}; some output is lost",
                next.Message.Sequence, next.Shell.Id);
        }

        return true;
    }

    public DateTimeOffset NextDue(DateTimeOffset now)
    {
        if (!_outbox.IsEmpty)
        {
            return now;
        }

        var due = DateTimeOffset.MaxValue;
        foreach (var shell in _sessions.Values)
        {
            var next = shell.Deadline < shell.LastInput + shell.IdleLimit ? shell.Deadline
                : shell.LastInput + shell.IdleLimit;
            due = next < due ? next : due;
        }

        return due;
    }

    public void Dispose()
    {
        foreach (var shell in _sessions.Values)
        {
            End(shell, "agent stopping", tell: false);
        }
    }

    private void Open(string deviceId, string id, TerminalInput input, DateTimeOffset now)
    {
        if (_sessions.ContainsKey(id))
        {
            return;   // a redelivered Open: the shell runs already
        }

        var limit = TimeSpan.FromSeconds(Math.Min(input.TimeLimitSeconds!.Value, options.MaxSessionSeconds));
        var idle = TimeSpan.FromSeconds(input.IdleLimitSeconds!.Value);
        var shell = new TerminalShell(id, now + limit, idle, now);
        string? refusal = _sessions.Count >= options.MaxSessions
            ? $"refused: {options.MaxSessions} sessions are open already"
            : null;
        if (refusal is null)
        {
            try
            {
                shell.Start(ShellProcess.Start(options, input.Columns!.Value, input.Rows!.Value));
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                refusal = $"refused: {options.ScriptPath} could not be started ({ex.Message})";
            }
        }

        if (refusal is not null)
        {
            logger.LogWarning("Terminal session {Session} {Refusal}", id, refusal);
            Queue(shell, new TerminalOutput(TerminalOutputKind.Closed, shell.NextSequence(), Reason: refusal));
            shell.Dispose();
            return;
        }

        _sessions[id] = shell;
        logger.LogInformation("Terminal session {Session} opened on device {DeviceId} for {Seconds} s at most",
            id, deviceId, (int)limit.TotalSeconds);
        Queue(shell, new TerminalOutput(TerminalOutputKind.Opened, shell.NextSequence()));
        _ = PumpAsync(shell);
    }

    /// <summary>Reads the shell's output into messages until it ends, waiting while too many are unsent.</summary>
    private async Task PumpAsync(TerminalShell shell)
    {
        var buffer = new char[Protocol.MaxTerminalDataLength];
        try
        {
            while (true)
            {
                await shell.Credit.WaitAsync(shell.Ending);
                var read = await shell.Process!.Output.ReadAsync(buffer.AsMemory(), shell.Ending);
                if (read == 0)
                {
                    break;
                }

                if (shell.Ending.IsCancellationRequested)
                {
                    break;
                }

                Queue(shell, new TerminalOutput(
                    TerminalOutputKind.Data, shell.NextSequence(), new string(buffer, 0, read)));
            }

            await shell.Process.WaitForExitAsync(shell.Ending);
            End(shell, $"shell exited {shell.Process.ExitCode}", tell: true);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Ended from outside (closed, a limit, offline): End has said why.
        }
    }

    private void Queue(TerminalShell shell, TerminalOutput message)
    {
        _outbox.Enqueue((shell, message));
        _wake?.Invoke(this, EventArgs.Empty);
    }

    private void End(TerminalShell shell, string reason, bool tell)
    {
        if (!shell.TryEnd())
        {
            return;
        }

        _sessions.TryRemove(shell.Id, out _);
        logger.LogInformation("Terminal session {Session} ended: {Reason}", shell.Id, reason);
        shell.Dispose();
        if (tell)
        {
            Queue(shell, new TerminalOutput(TerminalOutputKind.Closed, shell.NextSequence(), Reason: reason));
        }
    }

    /// <summary>One session's shell, limits and output numbering.</summary>
    private sealed class TerminalShell(string id, DateTimeOffset deadline, TimeSpan idleLimit, DateTimeOffset opened)
        : IDisposable
    {
        private readonly CancellationTokenSource _ending = new();
        private long _sequence;
        private int _ended;
        private int _refused;

        public string Id { get; } = id;

        public DateTimeOffset Deadline { get; } = deadline;

        public TimeSpan IdleLimit { get; } = idleLimit;

        public DateTimeOffset LastInput { get; set; } = opened;

        public ShellProcess? Process { get; private set; }

        public SemaphoreSlim Credit { get; } = new(MaxWaitingPerSession, MaxWaitingPerSession);

        public CancellationToken Ending => _ending.Token;

        public void Start(ShellProcess process) => Process = process;

        public long NextSequence() => Interlocked.Increment(ref _sequence);

        /// <summary>True the first time the portal refuses one of its messages.</summary>
        public bool FirstRefusal() => Interlocked.Exchange(ref _refused, 1) == 0;

        public async Task WriteAsync(string keys, ILogger logger, CancellationToken cancellationToken)
        {
            try
            {
                await Process!.WriteAsync(keys, cancellationToken);
            }
            catch (IOException ex)
            {
                logger.LogInformation("Terminal input for session {Session} not written: {Error}", Id, ex.Message);
            }
        }

        public bool TryEnd()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 1)
            {
                return false;
            }

            _ending.Cancel();
            Process?.Dispose();
            return true;
        }

        /// <summary>One of its output messages left the outbox: its reader may queue another.</summary>
        public void Sent()
        {
            try
            {
                Credit.Release();
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile: nobody reads any more.
            }
        }

        /// <summary>After <see cref="TryEnd"/>: its reader sees the token and semaphore gone and stops.</summary>
        public void Dispose()
        {
            _ending.Dispose();
            Credit.Dispose();
        }
    }
}
