using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// One command for one device: who asked, why, until when, and where it stands. Created Queued (or Held by its bulk
/// run), sent each time the device comes online until the device reports it Delivered; the device's results move it
/// on, never back.
/// </summary>
public sealed class DeviceCommand
{
    /// <summary>The command's id (a version-7 GUID, so ids sort by creation); on the wire as 32 hex digits.</summary>
    public Guid Id { get; set; }

    public Guid DeviceId { get; set; }

    /// <summary>One of <see cref="CommandKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>The arguments as a JSON object of strings; null for none.</summary>
    public string? ArgumentsJson { get; set; }

    /// <summary>Why a person asked for it (shown with it and in the audit log).</summary>
    public string? Reason { get; set; }

    public required string RequestedBy { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>After this it is not run: the portal marks it Expired, and so does a device that gets it late.
    /// </summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>How long it may run on the device before the agent kills it.</summary>
    public int TimeoutSeconds { get; set; }

    public CommandState State { get; set; }

    /// <summary>The bulk run it belongs to; null for a command asked of one device.</summary>
    public Guid? RunId { get; set; }

    /// <summary>The diagnostic it runs (kind diagnostic).</summary>
    public int? DiagnosticId { get; set; }

    /// <summary>When the portal last sent it, and how many times (it is sent again on each Online until delivered).
    /// </summary>
    public DateTimeOffset? SentAt { get; set; }

    public int Sends { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When it reached its final state (succeeded, failed, expired, cancelled).</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>The tail of its standard output, as the device sent it.</summary>
    public string? Output { get; set; }

    /// <summary>The tail of its standard error.</summary>
    public string? Error { get; set; }

    /// <summary>Why, for a person: a refusal's reason, a timeout, who cancelled it.</summary>
    public string? Detail { get; set; }

    /// <summary>How many parts its uploaded file has (a journal); 0 for none.</summary>
    public int UploadParts { get; set; }

    /// <summary>Whether it reached a state it never leaves.</summary>
    public bool IsFinished => CommandStates.IsFinal(State);
}

/// <summary>One part of a command's uploaded file (gzip), as the device sent it.</summary>
public sealed class DeviceCommandUpload
{
    public Guid CommandId { get; set; }

    public int Part { get; set; }

    public required byte[] Data { get; set; }
}

/// <summary>
/// A diagnostic script an Admin defined: devices run it by <c>/bin/sh</c> when a command names it, after checking its
/// SHA-256. Changing the script changes the hash; commands already queued carry the script they were asked with.
/// </summary>
public sealed class DiagnosticScript
{
    public const int MaxNameLength = 64;

    public int Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string Script { get; set; }

    /// <summary>SHA-256 of <see cref="Script"/> (UTF-8) as lower-case hex.</summary>
    public required string Sha256 { get; set; }

    public int TimeoutSeconds { get; set; } = 60;

    public required string ChangedBy { get; set; }

    public DateTimeOffset ChangedAt { get; set; }
}
