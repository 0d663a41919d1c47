using Fleet.Portal.Features.Security;

namespace Fleet.Portal.Features.Terminal;

/// <summary>
/// One open browser-terminal session: whose, on which device, its limits, and the shell's output as it arrives (never
/// stored). The page that opened it listens to <see cref="Output"/> and <see cref="Ended"/>; the
/// <see cref="TerminalService"/> ends it.
/// </summary>
public sealed class TerminalSession
{
    private readonly Lock _gate = new();
    private long _lastSequence;
    private int _ended;

    internal TerminalSession(Guid deviceId, string hostname, Actor actor, DateTimeOffset openedAt, TimeSpan limit)
    {
        DeviceId = deviceId;
        Hostname = hostname;
        Actor = actor;
        OpenedAt = openedAt;
        Deadline = openedAt + limit;
        LastInput = openedAt;
    }

    /// <summary>The session id in its topics: 32 lower-case hex digits.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    public Guid DeviceId { get; }

    /// <summary>The device id as its topics spell it.</summary>
    public string DeviceKey => DeviceId.ToString("N");

    public string Hostname { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>When the time limit closes it.</summary>
    public DateTimeOffset Deadline { get; }

    /// <summary>Whether the device has started the shell.</summary>
    public bool Started { get; private set; }

    /// <summary>How it ended; null while it is open.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Characters typed and shown, for the audit entry (the transcript's size; its text is not kept).
    /// </summary>
    public long CharactersIn { get; private set; }

    /// <inheritdoc cref="CharactersIn"/>
    public long CharactersOut { get; private set; }

    /// <summary>Shell output, in order, on the broker's thread.</summary>
    public event Action<string>? Output;

    /// <summary>The session ended, with the reason.</summary>
    public event Action<string>? Ended;

    internal Actor Actor { get; }

    internal DateTimeOffset LastInput { get; private set; }

    /// <summary>Called when the device says the session ended.</summary>
    internal Func<string, Task>? DeviceClosed { get; set; }

    internal ITimer? Watch { get; set; }

    internal void Typed(string keys, DateTimeOffset at)
    {
        lock (_gate)
        {
            CharactersIn += keys.Length;
            LastInput = at;
        }
    }

    /// <summary>Takes a numbered message from the device; false for a repeat (a QoS 1 redelivery) or a late one.
    /// </summary>
    internal bool Next(long sequence)
    {
        lock (_gate)
        {
            if (sequence <= _lastSequence || EndReason is not null)
            {
                return false;
            }

            _lastSequence = sequence;
            return true;
        }
    }

    internal void MarkStarted() => Started = true;

    internal void Deliver(string text)
    {
        lock (_gate)
        {
            CharactersOut += text.Length;
        }

        Output?.Invoke(text);
    }

    /// <summary>Marks it ended, once; false when it had ended already.</summary>
    internal bool TryEnd(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return false;
        }

        EndReason = reason;
        Watch?.Dispose();
        return true;
    }

    internal void RaiseEnded() => Ended?.Invoke(EndReason!);
}
