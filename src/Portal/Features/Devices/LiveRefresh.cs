using Fleet.Portal.Data;
namespace Fleet.Portal.Features.Devices;

/// <summary>
/// Coalesces device-change notifications for one page: however many arrive, the page refreshes at
/// most once per <see cref="Interval"/>, so a busy fleet cannot flood a browser circuit.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly DeviceNotifier _notifier;
    private readonly Func<IReadOnlyCollection<Guid>, bool> _relevant;
    private readonly Func<Task> _refresh;
    private readonly ITimer _timer;
    private int _pending;

    public LiveRefresh(DeviceNotifier notifier, TimeProvider time, Func<IReadOnlyCollection<Guid>, bool> relevant, Func<Task> refresh)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(time);
        _notifier = notifier;
        _relevant = relevant;
        _refresh = refresh;
        _timer = time.CreateTimer(_ => _ = FireAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _notifier.DevicesChanged += OnChanged;
    }

    public void Dispose()
    {
        _notifier.DevicesChanged -= OnChanged;
        _timer.Dispose();
    }

    private void OnChanged(IReadOnlyCollection<Guid> ids)
    {
        if (_relevant(ids) && Interlocked.Exchange(ref _pending, 1) == 0)
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
