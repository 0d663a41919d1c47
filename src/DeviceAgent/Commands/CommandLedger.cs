using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Commands;

/// <summary>A message the ledger has for the portal: a result or an upload part.</summary>
public sealed record CommandMessage(string Id, CommandResult? Result, CommandUpload? Upload);

/// <summary>One command the device has had, as the ledger keeps it (in <c>commands.json</c>).</summary>
/// <param name="Id">The command's id.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Request">The command as it arrived, kept until it has run.</param>
/// <param name="Result">Its latest state.</param>
/// <param name="Reported">Whether the portal acknowledged <paramref name="Result"/>.</param>
/// <param name="PartsSent">Upload parts the portal acknowledged.</param>
public sealed record CommandEntry(
    string Id, string Kind, CommandRequest? Request, CommandResult Result, bool Reported, int PartsSent);

/// <summary>
/// The device's side of commands: each id runs once, in the order received, one at a time. A command that arrives
/// again (the portal resends what it has not heard delivered) is answered with its recorded state and not run again;
/// a command past its time to live is reported expired and not run; a kind no executor claims, or arguments that break
/// <see cref="CommandRules"/>, are refused with the reason. Results (and a journal's upload parts) wait in the ledger
/// until the broker acknowledges them, across reconnects and restarts: the ledger is saved after every change. After
/// a restart, a command that was delivered but not started runs; one that was running is reported failed
/// (interrupted), except a reboot or power off, which did what it was asked.
/// </summary>
public sealed class CommandLedger
{
    /// <summary>Commands remembered for de-duplication (the oldest reported ones are forgotten first).</summary>
    public const int Capacity = 1000;

    private const string FileName = "commands.json";
    private readonly Lock _gate = new();
    private readonly List<CommandEntry> _entries = [];
    private readonly Channel<string> _toRun = Channel.CreateUnbounded<string>(new() { SingleReader = true });
    private readonly Dictionary<string, ICommandExecutor> _executors;
    private readonly string _path;
    private readonly string _uploads;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CommandLedger(
        IEnumerable<ICommandExecutor> executors, string stateDirectory, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(executors);
        _executors = executors.SelectMany(e => e.Kinds.Select(k => (k, e))).ToDictionary(p => p.k, p => p.e);
        _path = Path.Combine(stateDirectory, FileName);
        _uploads = Path.Combine(stateDirectory, "command-uploads");
        _time = time;
        _logger = logger;
        Load();
    }

    /// <summary>Raised, on any thread, when <see cref="Next"/> has something to send.</summary>
    public event EventHandler? ReportReady;

    /// <summary>The directory diagnostics run their scripts from.</summary>
    public static string ScriptDirectory(string stateDirectory) => Path.Combine(stateDirectory, "diagnostics");

    /// <summary>A command arrived from the portal.</summary>
    public void Receive(byte[] payload)
    {
        if (!MessageJson.TryDeserialize(payload, FleetJson.Default.CommandRequest, out var command))
        {
            _logger.LogWarning("Ignoring an unreadable command ({Bytes} bytes)", payload?.Length ?? 0);
            return;
        }

        if (!CommandRules.IsId(command.Id))
        {
            _logger.LogWarning("Ignoring a command without a valid id");
            return;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.FindIndex(e => e.Id == command.Id) is var known and >= 0)
            {
                // Sent again: the portal has not heard of it yet. Say where it stands; never run it twice.
                _entries[known] = _entries[known] with { Reported = false };
                Save();
            }
            else
            {
                Admit(command, now);
            }
        }

        ReportReady?.Invoke(this, EventArgs.Empty);
    }

    private void Admit(CommandRequest command, DateTimeOffset now)
    {
        var problems = CommandRules.Problems(command.Kind, command.Arguments);
        CommandResult result;
        var run = false;
        if (problems.Count > 0)
        {
            result = new(command.Id, CommandState.Failed, now, Detail: Cut(
                "Refused: " + string.Join(" ", problems.Select(p => $"{p.Argument}: {p.Problem}")),
                Protocol.MaxUpdateErrorLength));
        }
        else if (command.ExpiresAt <= now)
        {
            result = new(command.Id, CommandState.Expired, now, Detail: "It arrived after its time to live.");
        }
        else if (command.TimeoutSeconds is < 1 or > Protocol.MaxCommandTimeoutSeconds)
        {
            result = new(command.Id, CommandState.Failed, now,
                Detail: $"Refused: timeoutSeconds must be 1 to {Protocol.MaxCommandTimeoutSeconds}.");
        }
        else if (command.Kind == CommandKinds.Ping)
        {
            result = new(command.Id, CommandState.Succeeded, now, Detail: "pong");
        }
        else if (!_executors.ContainsKey(command.Kind))
        {
            result = new(command.Id, CommandState.Failed, now,
                Detail: $"Refused: this agent does not run {command.Kind} commands.");
        }
        else
        {
            result = new(command.Id, CommandState.Delivered, now);
            run = true;
        }

        if (result.State == CommandState.Failed)
        {
            _logger.LogWarning("Command {Id} ({Kind}) refused: {Detail}", command.Id, command.Kind, result.Detail);
        }

        _entries.Add(new CommandEntry(command.Id, command.Kind, run ? command : null, result, false, 0));
        Trim();
        Save();
        if (run)
        {
            _toRun.Writer.TryWrite(command.Id);
        }
    }

    /// <summary>Runs delivered commands one at a time until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var id in _toRun.Reader.ReadAllAsync(cancellationToken))
            {
                CommandRequest? command;
                lock (_gate)
                {
                    command = _entries.Find(e => e.Id == id)?.Request;
                    if (command is not null)
                    {
                        Update(id, new(id, CommandState.Running, _time.GetUtcNow()), request: command);
                    }
                }

                if (command is null)
                {
                    continue;
                }

                ReportReady?.Invoke(this, EventArgs.Empty);
                var outcome = await ExecuteAsync(command, cancellationToken);
                Finish(command, outcome);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent stops; a command still running is reported interrupted at the next start.
        }
    }

    private async Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(command.TimeoutSeconds));
        _logger.LogInformation("Running command {Id}: {Kind}", command.Id, command.Kind);
        try
        {
            return await _executors[command.Kind].ExecuteAsync(command, limit.Token);
        }
        catch (ToolNotFoundException ex)
        {
            return new CommandOutcome(false, Detail: ex.Message);
        }
        catch (TimeoutException ex)
        {
            return new CommandOutcome(false, Detail: ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CommandOutcome(false, Detail: $"It did not finish within {command.TimeoutSeconds} s.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _logger.LogWarning("Command {Id} ({Kind}) failed: {Error}", command.Id, command.Kind, ex.Message);
            return new CommandOutcome(false, Detail: ex.Message);
        }
    }

    private void Finish(CommandRequest command, CommandOutcome outcome)
    {
        var parts = 0;
        if (outcome.Upload is { } file)
        {
            parts = WriteUpload(command.Id, file);
        }

        var result = new CommandResult(
            command.Id,
            outcome.Succeeded ? CommandState.Succeeded : CommandState.Failed,
            _time.GetUtcNow(),
            outcome.ExitCode,
            Tail(outcome.Output),
            Tail(outcome.Error),
            Cut(outcome.Detail, Protocol.MaxUpdateErrorLength),
            parts);
        _logger.LogInformation("Command {Id} ({Kind}): {State} {Detail}", command.Id, command.Kind, result.State,
            result.Detail);
        lock (_gate)
        {
            Update(command.Id, result, request: null);
        }

        ReportReady?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The next message for the portal: a finished command's upload parts first, then its result.</summary>
    public CommandMessage? Next()
    {
        lock (_gate)
        {
            var entry = _entries.Find(e => !e.Reported);
            if (entry is null)
            {
                return null;
            }

            var parts = entry.Result.UploadParts;
            if (entry.PartsSent < parts && ReadPart(entry.Id, entry.PartsSent, parts) is { } upload)
            {
                return new CommandMessage(entry.Id, null, upload);
            }

            return new CommandMessage(entry.Id, entry.Result, null);
        }
    }

    /// <summary>The broker acknowledged <paramref name="message"/>.</summary>
    public void Sent(CommandMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            var index = _entries.FindIndex(e => e.Id == message.Id);
            if (index < 0)
            {
                return;
            }

            var entry = _entries[index];
            if (message.Upload is { } upload)
            {
                _entries[index] = entry with { PartsSent = Math.Max(entry.PartsSent, upload.Part + 1) };
            }
            else if (message.Result == entry.Result)
            {
                _entries[index] = entry with { Reported = true };
                if (entry.Result.UploadParts > 0 && CommandStates.IsFinal(entry.Result.State))
                {
                    File.Delete(UploadPath(entry.Id));
                }
            }

            Save();
        }
    }

    /// <summary>Where each remembered command stands, oldest first (tests, diagnostics).</summary>
    public IReadOnlyList<CommandEntry> Entries()
    {
        lock (_gate)
        {
            return [.. _entries];
        }
    }

    private void Update(string id, CommandResult result, CommandRequest? request)
    {
        var index = _entries.FindIndex(e => e.Id == id);
        if (index >= 0)
        {
            _entries[index] = _entries[index] with { Result = result, Reported = false, Request = request };
            Save();
        }
    }

    private int WriteUpload(string id, byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        var bytes = buffer.ToArray();
        var max = Protocol.MaxUploadPartBytes * Protocol.MaxUploadParts;
        if (bytes.Length > max)
        {
            _logger.LogWarning("Command {Id}: its file is {Bytes} bytes of gzip; only the first {Max} are sent", id,
                bytes.Length, max);
            bytes = bytes[..max];
        }

        DurableFile.Write(UploadPath(id), bytes);
        return Math.Max(1, (bytes.Length + Protocol.MaxUploadPartBytes - 1) / Protocol.MaxUploadPartBytes);
    }

    private CommandUpload? ReadPart(string id, int part, int parts)
    {
        try
        {
            var bytes = File.ReadAllBytes(UploadPath(id));
            var start = part * Protocol.MaxUploadPartBytes;
            var length = Math.Min(Protocol.MaxUploadPartBytes, bytes.Length - start);
            return length <= 0 ? null
                : new CommandUpload(id, part, parts, Convert.ToBase64String(bytes, start, length));
        }
        catch (IOException ex)
        {
            _logger.LogWarning("Command {Id}: its file is gone ({Error}); the result goes without it", id, ex.Message);
            return null;
        }
    }

    private string UploadPath(string id) => Path.Combine(_uploads, id + ".gz");

    private void Trim()
    {
        while (_entries.Count > Capacity && _entries.FindIndex(e => e.Reported && CommandStates.IsFinal(e.Result.State))
            is var index and >= 0)
        {
            _entries.RemoveAt(index);
        }
    }

    private void Load()
    {
        LedgerFile? file = null;
        try
        {
            if (File.Exists(_path))
            {
                file = JsonSerializer.Deserialize(File.ReadAllBytes(_path), CommandLedgerJson.Default.LedgerFile);
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            _logger.LogError("The command ledger {Path} is unreadable ({Error}); starting with an empty one", _path,
                ex.Message);
        }

        var now = _time.GetUtcNow();
        foreach (var entry in file?.Entries ?? [])
        {
            var restored = entry;
            if (entry.Result.State == CommandState.Running)
            {
                var rebooted = entry.Kind is CommandKinds.Reboot or CommandKinds.PowerOff;
                restored = entry with
                {
                    Request = null,
                    Reported = false,
                    Result = new CommandResult(entry.Id, rebooted ? CommandState.Succeeded : CommandState.Failed,
                        now, Detail: rebooted
                            ? "The device restarted, as asked."
                            : "Interrupted: the agent restarted while it ran."),
                };
            }
            else if (entry.Result.State == CommandState.Delivered && entry.Request is not null)
            {
                _toRun.Writer.TryWrite(entry.Id);
            }

            _entries.Add(restored);
        }
    }

    private void Save()
    {
        try
        {
            DurableFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(
                new LedgerFile([.. _entries]), CommandLedgerJson.Default.LedgerFile));
        }
        catch (IOException ex)
        {
            _logger.LogError("The command ledger {Path} could not be saved: {Error}", _path, ex.Message);
        }
    }

    private static string? Tail(string? text) =>
        text is null || text.Length <= Protocol.MaxCommandOutputLength
            ? text
            : text[^Protocol.MaxCommandOutputLength..];

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}

/// <summary>The ledger's file.</summary>
public sealed record LedgerFile(IReadOnlyList<CommandEntry> Entries);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LedgerFile))]
internal sealed partial class CommandLedgerJson : JsonSerializerContext;
