using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Runs the commands of some kinds (<see cref="CommandKinds"/>). The <see cref="CommandLedger"/> hands it a command
/// whose arguments passed <see cref="CommandRules"/>, once per id, one command at a time; a kind no executor claims
/// is refused with a reason.
/// </summary>
public interface ICommandExecutor
{
    IReadOnlyCollection<string> Kinds { get; }

    /// <summary>Runs <paramref name="command"/>; its time limit is the token (cancelled after
    /// <see cref="CommandRequest.TimeoutSeconds"/>) and the process runner's timeout.</summary>
    Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken);
}

/// <summary>How a command ended on the device.</summary>
/// <param name="Succeeded">Whether it did what was asked.</param>
/// <param name="ExitCode">The process's exit code, when one ran.</param>
/// <param name="Output">Its standard output (the ledger keeps the tail).</param>
/// <param name="Error">Its standard error (the ledger keeps the tail).</param>
/// <param name="Detail">What happened, for a person.</param>
/// <param name="Upload">A file to upload with the result (a journal), gzip-compressed by the ledger.</param>
public sealed record CommandOutcome(
    bool Succeeded,
    int? ExitCode = null,
    string? Output = null,
    string? Error = null,
    string? Detail = null,
    byte[]? Upload = null)
{
    /// <summary>The outcome of a finished process: succeeded when it exited 0.</summary>
    public static CommandOutcome Of(Updates.ProcessResult result, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Succeeded, result.ExitCode, result.StandardOutput, result.StandardError, detail);
    }
}
