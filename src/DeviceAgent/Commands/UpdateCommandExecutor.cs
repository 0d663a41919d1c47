using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Roll back and update now, through the update side (<see cref="IDeviceUpdates"/>): it decides between Zincati and
/// its own rpm-ostree driver, and coordinates the reboot with the group's reboot lock as an update does.
/// </summary>
public sealed class UpdateCommandExecutor(IDeviceUpdates updates) : ICommandExecutor
{
    public IReadOnlyCollection<string> Kinds { get; } = [CommandKinds.Rollback, CommandKinds.UpdateNow];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var action = command.Kind == CommandKinds.Rollback ? UpdateAction.Rollback : UpdateAction.UpdateNow;
        var result = await updates.RequestAsync(action, command.Id, cancellationToken);
        return new CommandOutcome(result.Succeeded, Detail: result.Detail);
    }
}
