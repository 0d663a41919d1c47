using System.Text.Json.Serialization;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// What a person asks devices to do: a kind of <see cref="CommandKinds"/> with its arguments, why, and for how long
/// it may wait for an offline device. The same order goes to one device or, through a bulk run, to many.
/// </summary>
/// <param name="Kind">One of <see cref="CommandKinds"/>.</param>
/// <param name="Arguments">The kind's arguments (<see cref="CommandArguments"/>): unit, since, priority, lines,
/// mac, address, port.</param>
/// <param name="Reason">Why (shown with the command and in the audit log), at most
/// <see cref="MaxReasonLength"/> characters.</param>
/// <param name="TimeToLiveMinutes">How long it may wait for the device; the portal's default when null.</param>
/// <param name="TimeoutSeconds">How long it may run on the device; the kind's default when null.</param>
/// <param name="DiagnosticId">The diagnostic to run (kind <see cref="CommandKinds.Diagnostic"/>).</param>
public sealed record CommandOrder(
    string Kind,
    IReadOnlyDictionary<string, string>? Arguments = null,
    string? Reason = null,
    int? TimeToLiveMinutes = null,
    int? TimeoutSeconds = null,
    int? DiagnosticId = null)
{
    public const int MaxReasonLength = 512;
}

/// <summary>A command as the device page, a run's page and <c>/api/v1/commands</c> show it.</summary>
/// <param name="Id">The command's id.</param>
/// <param name="DeviceId">The device it is for.</param>
/// <param name="Hostname">The device's hostname.</param>
/// <param name="Kind">One of <see cref="CommandKinds"/>.</param>
/// <param name="Arguments">Its arguments; a diagnostic's script is left out (its name and hash stay).</param>
/// <param name="Reason">Why it was asked for.</param>
/// <param name="RequestedBy">Who asked.</param>
/// <param name="RequestedAt">When.</param>
/// <param name="ExpiresAt">Until when it may wait.</param>
/// <param name="State">Where it stands.</param>
/// <param name="RunId">The bulk run it belongs to.</param>
/// <param name="DeliveredAt">When the device had it.</param>
/// <param name="StartedAt">When the device started it.</param>
/// <param name="FinishedAt">When it reached its final state.</param>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Output">The tail of its standard output.</param>
/// <param name="Error">The tail of its standard error.</param>
/// <param name="Detail">Why, for a person.</param>
/// <param name="HasUpload">Whether a file (a journal) can be downloaded.</param>
/// <param name="RoundTripMilliseconds">For a finished command: from the portal's last send to its result.</param>
public sealed record CommandView(
    Guid Id,
    Guid DeviceId,
    string Hostname,
    string Kind,
    IReadOnlyDictionary<string, string> Arguments,
    string? Reason,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt,
    [property: JsonConverter(typeof(JsonStringEnumConverter<CommandState>))] CommandState State,
    Guid? RunId,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Output,
    string? Error,
    string? Detail,
    bool HasUpload,
    double? RoundTripMilliseconds);
