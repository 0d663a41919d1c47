namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>
/// Tells open run pages that a run changed: its commands moved on (after the runner's step) or it was started,
/// paused, resumed, cancelled or completed. Raised after the commit.
/// </summary>
public sealed class CommandRunNotifier
{
    public event Action<Guid>? Changed;

    public void Notify(Guid runId) => Changed?.Invoke(runId);
}
