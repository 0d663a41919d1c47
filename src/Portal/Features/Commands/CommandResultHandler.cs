using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// <c>fleet/devices/{id}/command-result</c> and <c>command-upload</c>: a command's new state and the parts of its file.
/// A device reports only on its own commands; a result never moves a command back (a repeated Delivered after
/// Succeeded changes nothing), except that a device's report wins over a cancel that reached the portal after the
/// device had the command. Upload parts are kept once each. Once committed, the changes are announced.
/// </summary>
internal sealed class CommandResultHandler(CommandNotifier notifier, ILogger<CommandResultHandler> logger)
    : IInboundHandler
{
    private readonly Dictionary<Guid, DeviceCommand> _commands = [];
    private readonly HashSet<(Guid, int)> _parts = [];
    private readonly List<CommandChange> _changes = [];

    public IReadOnlyCollection<InboundKind> Kinds { get; } =
        [InboundKind.Of(TopicKind.CommandResult), InboundKind.Of(TopicKind.CommandUpload)];

    /// <summary>Results of a bulk run or a busy fleet change commands by the hundred in a batch.</summary>
    public IReadOnlyCollection<Type> BulkUpdates { get; } = [typeof(DeviceCommand)];

    public async Task PreloadAsync(
        IReadOnlyList<InboundMessage> messages, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(batch);
        var ids = new HashSet<Guid>();
        var uploads = new HashSet<Guid>();
        foreach (var message in messages)
        {
            var id = message.Kind == InboundKind.Of(TopicKind.CommandResult)
                ? batch.TryRead(message, FleetJson.Default.CommandResult, out var result) ? result.Id : null
                : batch.TryRead(message, FleetJson.Default.CommandUpload, out var upload) ? upload.Id : null;
            if (Guid.TryParseExact(id, "N", out var guid))
            {
                ids.Add(guid);
                if (message.Kind == InboundKind.Of(TopicKind.CommandUpload))
                {
                    uploads.Add(guid);
                }
            }
        }

        foreach (var chunk in ids.Chunk(500))
        {
            foreach (var command in await batch.Db.DeviceCommands.Where(c => chunk.Contains(c.Id))
                .ToListAsync(cancellationToken))
            {
                _commands[command.Id] = command;
            }
        }

        foreach (var chunk in uploads.Chunk(500))
        {
            foreach (var part in await batch.Db.DeviceCommandUploads.Where(u => chunk.Contains(u.CommandId))
                .Select(u => new { u.CommandId, u.Part }).ToListAsync(cancellationToken))
            {
                _parts.Add((part.CommandId, part.Part));
            }
        }
    }

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (await batch.DeviceAsync(message, cancellationToken) is not { } device)
        {
            return;
        }

        if (message.Kind == InboundKind.Of(TopicKind.CommandResult))
        {
            if (batch.TryRead(message, FleetJson.Default.CommandResult, out var result))
            {
                Apply(batch, device, result, message.ReceivedAt);
            }
        }
        else if (batch.TryRead(message, FleetJson.Default.CommandUpload, out var upload))
        {
            Store(batch, device, upload);
        }
    }

    public Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        notifier.Notify(_changes);
        return Task.CompletedTask;
    }

    private void Apply(IngestBatch batch, Device device, CommandResult result, DateTimeOffset at)
    {
        if (Problem(result) is { } problem)
        {
            logger.LogWarning("Command result from device {DeviceId:N} dropped: {Problem}", device.Id, problem);
            return;
        }

        if (Own(device, result.Id) is not { } command)
        {
            return;
        }

        var late = command.State == CommandState.Cancelled;
        if (!late && CommandStates.Rank(result.State) <= CommandStates.Rank(command.State))
        {
            return;   // a repeat, or older news than the portal has
        }

        command.State = result.State;
        command.DeliveredAt ??= at;
        if (result.State == CommandState.Running)
        {
            command.StartedAt ??= at;
        }

        if (CommandStates.IsFinal(result.State))
        {
            command.FinishedAt = at;
            command.ExitCode = result.ExitCode;
            command.Output = result.Output;
            command.Error = result.Error;
            command.Detail = result.Detail;
            command.UploadParts = result.UploadParts;
            if (command.Kind != CommandKinds.Ping)
            {
                batch.AddEvent(device.Id, at, "command", Describe(command));
            }
        }
        else if (late)
        {
            command.FinishedAt = null;
            command.Detail = "The device had it before the cancel reached it.";
        }

        _changes.Add(new CommandChange(command.Id, command.DeviceId, command.RunId, command.State));
    }

    private void Store(IngestBatch batch, Device device, CommandUpload upload)
    {
        byte[]? data = null;
        var problem = upload.Parts is < 1 or > Protocol.MaxUploadParts
                ? $"parts must be 1 to {Protocol.MaxUploadParts}"
            : upload.Part < 0 || upload.Part >= upload.Parts ? "part is outside 0 to parts - 1"
            : !TryDecode(upload.Data, out data) ? "data is not base64"
            : data.Length is 0 or > Protocol.MaxUploadPartBytes
                ? $"a part must hold 1 to {Protocol.MaxUploadPartBytes} bytes"
            : null;
        if (problem is not null)
        {
            logger.LogWarning("Command upload from device {DeviceId:N} dropped: {Problem}", device.Id, problem);
            return;
        }

        if (Own(device, upload.Id) is not { } command || !_parts.Add((command.Id, upload.Part)))
        {
            return;
        }

        batch.Db.DeviceCommandUploads.Add(new DeviceCommandUpload
        {
            CommandId = command.Id, Part = upload.Part, Data = data!,
        });
    }

    /// <summary>The command, when it is this device's; a device naming another's or an unknown id is logged.</summary>
    private DeviceCommand? Own(Device device, string id)
    {
        if (Guid.TryParseExact(id, "N", out var guid) && _commands.TryGetValue(guid, out var command)
            && command.DeviceId == device.Id)
        {
            return command;
        }

        logger.LogWarning("Device {DeviceId:N} reported on command {CommandId}, which is not one of its commands",
            device.Id, CommandRules.IsId(id) ? id : "(malformed)");
        return null;
    }

    private static bool TryDecode(string? data, out byte[] bytes)
    {
        var buffer = new byte[((data?.Length ?? 0) * 3 / 4) + 3];
        var decoded = Convert.TryFromBase64String(data ?? string.Empty, buffer, out var written);
        bytes = buffer[..written];
        return decoded;
    }

    private static string? Problem(CommandResult result) =>
        !CommandRules.IsId(result.Id) ? "id must be 1 to 64 characters of A-Z a-z 0-9 . _ -"
        : result.State is not (CommandState.Delivered or CommandState.Running or CommandState.Succeeded
            or CommandState.Failed or CommandState.Expired)
            ? "state must be Delivered, Running, Succeeded, Failed or Expired"
        : result.Output is { Length: > Protocol.MaxCommandOutputLength }
            || result.Error is { Length: > Protocol.MaxCommandOutputLength }
            ? $"output and error are at most {Protocol.MaxCommandOutputLength} characters"
        : result.Detail is { Length: > Protocol.MaxUpdateErrorLength }
            ? $"detail is longer than {Protocol.MaxUpdateErrorLength} characters"
        : result.UploadParts is < 0 or > Protocol.MaxUploadParts
            ? $"uploadParts must be 0 to {Protocol.MaxUploadParts}"
        : null;

    /// <summary>A line of the device's history.</summary>
    internal static string Describe(DeviceCommand command)
    {
        var what = $"{CommandLabels.Label(command.Kind)}: {command.State.Label().ToLowerInvariant()}";
        var detail = command.Detail ?? (command.ExitCode is { } code and not 0 ? $"exit code {code}" : null);
        return detail is null ? what : $"{what} ({detail})";
    }
}

/// <summary>
/// <c>fleet/devices/{id}/status</c> Online: the device's queued commands are sent once the batch that marks it online
/// is committed.
/// </summary>
internal sealed class CommandOnlineHandler(CommandDispatcher dispatcher) : IInboundHandler
{
    private readonly List<Guid> _online = [];

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.Status)];

    public bool LoadsDevice => false;

    public Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.TryRead(message, FleetJson.Default.DeviceStatus, out var status)
            && status.State == DeviceState.Online && Guid.TryParseExact(message.Id, "N", out var id))
        {
            _online.Add(id);
        }

        return Task.CompletedTask;
    }

    public Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        dispatcher.Send(_online);
        return Task.CompletedTask;
    }
}
