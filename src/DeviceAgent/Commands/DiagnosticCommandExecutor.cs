using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Runs a diagnostic an Admin defined in the portal: the script (already checked against its SHA-256 by
/// <see cref="CommandRules"/>) is written to a 0700 file in the agent's state folder and run by <c>/bin/sh</c> within
/// the command's time limit, then deleted.
/// </summary>
public sealed class DiagnosticCommandExecutor(IProcessRunner runner, string directory) : ICommandExecutor
{
    public IReadOnlyCollection<string> Kinds { get; } = [CommandKinds.Diagnostic];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var script = command.Arguments![CommandArguments.Script];
        State.DurableFile.CreateDirectory(directory);
        var path = Path.Combine(directory, $"diagnostic-{command.Id}.sh");
        await File.WriteAllTextAsync(path, script, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, State.DurableFile.DirectoryMode700);
        }

        try
        {
            var result = await runner.RunAsync(
                "/bin/sh", [path], TimeSpan.FromSeconds(command.TimeoutSeconds), cancellationToken);
            return CommandOutcome.Of(result);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
