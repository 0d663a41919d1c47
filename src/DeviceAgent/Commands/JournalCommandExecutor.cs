using System.Globalization;
using System.Text;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Collects the journal: <c>journalctl --no-pager -o short-iso</c> for a unit, since a time, up to a priority, at most
/// N lines. The lines are uploaded (gzip, in parts); the result carries the count and the last lines.
/// </summary>
public sealed class JournalCommandExecutor(IProcessRunner runner) : ICommandExecutor
{
    public IReadOnlyCollection<string> Kinds { get; } = [CommandKinds.Journal];

    public async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var args = command.Arguments ?? new Dictionary<string, string>();
        var lines = args.TryGetValue(CommandArguments.Lines, out var n)
            ? n : CommandRules.DefaultJournalLines.ToString(CultureInfo.InvariantCulture);
        var arguments = new List<string> { "--no-pager", "--output=short-iso", $"--lines={lines}" };
        if (args.TryGetValue(CommandArguments.Unit, out var unit))
        {
            arguments.Add($"--unit={unit}");
        }

        if (args.TryGetValue(CommandArguments.Since, out var since))
        {
            arguments.Add($"--since={since}");
        }

        if (args.TryGetValue(CommandArguments.Priority, out var priority))
        {
            arguments.Add($"--priority={priority}");
        }

        var result = await runner.RunAsync(
            "journalctl", arguments, TimeSpan.FromSeconds(command.TimeoutSeconds), cancellationToken);
        if (!result.Succeeded)
        {
            return CommandOutcome.Of(result);
        }

        var text = result.StandardOutput;
        var count = text.Count(c => c == '\n');
        return new CommandOutcome(true, result.ExitCode, text, result.StandardError,
            string.Create(CultureInfo.InvariantCulture, $"{count} lines collected ({text.Length / 1024.0:0.#} KiB)."),
            Encoding.UTF8.GetBytes(text));
    }
}
