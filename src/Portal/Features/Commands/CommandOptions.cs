using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// Section <c>Fleet:Commands</c>: how long commands wait for offline devices and how they are resent.
/// </summary>
public sealed class CommandOptions
{
    public const string Section = "Fleet:Commands";

    /// <summary>How long a command waits for an offline device unless its order says otherwise, in minutes.</summary>
    [Range(1, 43_200)]
    public int DefaultTimeToLiveMinutes { get; set; } = 1440;

    /// <summary>The longest time to live an order may ask for, in minutes (30 days).</summary>
    [Range(1, 43_200)]
    public int MaxTimeToLiveMinutes { get; set; } = 43_200;

    /// <summary>How long a command may run on the device unless its order or diagnostic says otherwise, in seconds.
    /// </summary>
    [Range(1, Shared.Protocol.MaxCommandTimeoutSeconds)]
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Seconds between sweeps that expire commands past their time to live and send again the queued commands of
    /// online devices that did not confirm them (a message lost with a dropped connection).
    /// </summary>
    [Range(1, 3600)]
    public int SweepSeconds { get; set; } = 30;

    /// <summary>Days a finished command (and its uploaded file) is kept before the sweep deletes it.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 90;
}
