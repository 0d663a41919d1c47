using System.Collections.Concurrent;

namespace Fleet.Portal.Data;

/// <summary>
/// What a pusher of per-device retained messages (desired config, agent release) has due: a pass over every device
/// (<see cref="All"/>, also the first pass at start-up) and the devices whose records changed (<see cref="Devices"/>,
/// wired to <see cref="DeviceNotifier.RecordsChanged"/>). A burst of changes wakes the pusher once.
/// </summary>
public sealed class DevicePushSignal : IDisposable
{
    private readonly ConcurrentQueue<Guid> _devices = new();
    private readonly SemaphoreSlim _wake = new(0);
    private int _all = 1;   // the first pass at start-up covers every device

    /// <summary>Every device is due (what they are sent may have changed for all).</summary>
    public void All()
    {
        Interlocked.Exchange(ref _all, 1);
        _wake.Release();
    }

    /// <summary>These devices are due.</summary>
    public void Devices(IReadOnlyCollection<Guid> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            _devices.Enqueue(id);
        }

        _wake.Release();
    }

    /// <summary>What is due since the last call: whether every device is, and the devices named.</summary>
    public (bool All, HashSet<Guid> Devices) Take()
    {
        var all = Interlocked.Exchange(ref _all, 0) == 1;
        var ids = new HashSet<Guid>();
        while (_devices.TryDequeue(out var id))
        {
            ids.Add(id);
        }

        return (all, ids);
    }

    /// <summary>
    /// Waits until something is due, then lets a burst settle for <paramref name="settle"/> (wall-clock) and swallows
    /// the wake-ups it brought, so the burst is one pass.
    /// </summary>
    public async Task WaitAsync(TimeSpan settle, CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(cancellationToken);
        if (settle > TimeSpan.Zero)
        {
            await Task.Delay(settle, cancellationToken);
        }

        while (_wake.CurrentCount > 0)
        {
            await _wake.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _wake.Dispose();
}
