using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>Waiting helpers for tests that mix a real broker with a fake clock.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Moves the fake clock forward in steps until <paramref name="target"/> completes. Between steps it
    /// yields briefly so the agent's network I/O (on real sockets) can catch up with the clock.
    /// </summary>
    public static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> target, TimeSpan step)
    {
        await AdvanceUntilAsync(time, (Task)target, step);
        return await target;
    }

    public static async Task AdvanceUntilAsync(FakeTimeProvider time, Task target, TimeSpan step)
    {
        var elapsed = Stopwatch.StartNew();
        while (!target.IsCompleted)
        {
            if (elapsed.Elapsed > Limit)
            {
                throw new TimeoutException($"Not done after advancing the clock to {time.GetUtcNow():O}.");
            }

            time.Advance(step);
            await Task.WhenAny(target, Task.Delay(20, TestContext.Current.CancellationToken));
        }

        await target;
    }

    /// <summary>For state that raises no event: checks <paramref name="condition"/> until it holds.</summary>
    public static async Task TrueAsync(Func<bool> condition)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > Limit)
            {
                throw new TimeoutException("Condition never became true.");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static Task Within<T>(this T task)
        where T : Task => task.WaitAsync(Limit, TestContext.Current.CancellationToken);
}
