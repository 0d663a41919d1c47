using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Commands;

/// <summary>A command reached a new state (committed).</summary>
/// <param name="CommandId">The command.</param>
/// <param name="DeviceId">Its device.</param>
/// <param name="RunId">Its bulk run, if any.</param>
/// <param name="State">The state it is in now.</param>
public readonly record struct CommandChange(Guid CommandId, Guid DeviceId, Guid? RunId, CommandState State);

/// <summary>
/// Tells open pages, the bulk-run runner and the dispatcher that commands changed: queued, released, delivered,
/// running, finished, expired or cancelled. Whoever commits such a change calls <see cref="Notify"/> after the
/// commit, once per batch.
/// </summary>
public sealed class CommandNotifier
{
    public event Action<IReadOnlyList<CommandChange>>? Changed;

    public void Notify(IReadOnlyList<CommandChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count > 0)
        {
            Changed?.Invoke(changes);
        }
    }
}
