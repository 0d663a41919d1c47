using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Reboot, power off and unit commands through <c>systemctl</c> (the same process runner as OS updates). A reboot or
/// power off that systemd accepted succeeded: the result is kept and sent when the device is back (or before it
/// goes, when the connection lasts).
/// </summary>
public sealed class SystemdCommandExecutor(IProcessRunner runner) : ICommandExecutor
{
    public IReadOnlyCollection<string> Kinds { get; } =
    [
        CommandKinds.Reboot, CommandKinds.PowerOff, CommandKinds.RestartUnit, CommandKinds.StopUnit,
        CommandKinds.StartUnit,
    ];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var unit = command.Arguments?.GetValueOrDefault(CommandArguments.Unit);
        string[] arguments = command.Kind switch
        {
            CommandKinds.Reboot => ["reboot"],
            CommandKinds.PowerOff => ["poweroff"],
            CommandKinds.RestartUnit => ["restart", "--", unit!],
            CommandKinds.StopUnit => ["stop", "--", unit!],
            _ => ["start", "--", unit!],
        };
        var result = await runner.RunAsync(
            "systemctl", arguments, TimeSpan.FromSeconds(command.TimeoutSeconds), cancellationToken);
        var done = command.Kind switch
        {
            CommandKinds.Reboot => "systemd is rebooting the device.",
            CommandKinds.PowerOff => "systemd is powering the device off.",
            _ => $"systemctl {arguments[0]} {unit} done.",
        };
        return CommandOutcome.Of(result, result.Succeeded ? done : null);
    }
}
