using Fleet.Portal.Data;
namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Coalesces device-change notifications for one page: however many arrive, the page refreshes at
/// most once per <see cref="Interval"/>, so a busy fleet cannot flood a browser circuit.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly Func<Task> _refresh;
    private readonly ITimer _timer;
    private readonly Action? _unsubscribe;
    private int _pending;

    public LiveRefresh(DeviceNotifier notifier, TimeProvider time, Func<IReadOnlyCollection<Guid>, bool> relevant, Func<Task> refresh)
        : this(time, refresh)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(relevant);
        void OnChanged(IReadOnlyCollection<Guid> ids)
        {
            if (relevant(ids))
            {
                Poke();
            }
        }

        notifier.DevicesChanged += OnChanged;
        _unsubscribe = () => notifier.DevicesChanged -= OnChanged;
    }

    /// <summary>For another notifier: its handler calls <see cref="Poke"/> (the page unsubscribes it itself).
    /// </summary>
    public LiveRefresh(TimeProvider time, Func<Task> refresh)
    {
        ArgumentNullException.ThrowIfNull(time);
        _refresh = refresh;
        _timer = time.CreateTimer(_ => _ = FireAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        _unsubscribe?.Invoke();
        _timer.Dispose();
    }

    /// <summary>Something relevant changed: refresh within <see cref="Interval"/>, once however often poked.
    /// </summary>
    public void Poke()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _timer.Change(Interval, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task FireAsync()
    {
        Interlocked.Exchange(ref _pending, 0);
        try
        {
            await _refresh();
        }
        catch (ObjectDisposedException)
        {
            // The page's circuit closed between the notification and the refresh.
        }
    }
}
