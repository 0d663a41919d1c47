namespace Fleet.Portal.Features.Agents;

/// <summary>
/// Tells the <see cref="AgentReleasePusher"/> and open pages that agent targets or builds changed: a target set,
/// removed, halted or resumed, a build added or removed. Whoever changes them calls <see cref="Notify"/> after the
/// commit.
/// </summary>
public sealed class AgentNotifier
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();
}
