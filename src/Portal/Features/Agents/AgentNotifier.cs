using Fleet.Portal.Features.Configs;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// Tells the <see cref="AgentReleasePusher"/> and open pages that agent targets or builds changed: a target set,
/// removed, halted or resumed, a build added or removed. Whoever changes them calls <see cref="Notify"/> after the
/// commit. Rendered configs carry the agent layer, so the config side (the Ignition cache, the config pusher) hears
/// of it too.
/// </summary>
public sealed class AgentNotifier(ConfigNotifier configs)
{
    public event Action? Changed;

    public void Notify()
    {
        Changed?.Invoke();
        configs.Notify();
    }
}
