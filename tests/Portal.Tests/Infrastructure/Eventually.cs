namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>Waits for a condition that the portal reaches on its own (a connection released, a row written).</summary>
public static class Eventually
{
    /// <summary>
    /// Completes once <paramref name="condition"/> holds; fails the test after <paramref name="timeout"/> (30 s).
    /// </summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
