namespace Fleet.Portal.Features.Updates;

/// <summary>The latest report of one device on one release version: did the update to it work?</summary>
public sealed class RolloutOutcome
{
    public long Id { get; set; }

    public required string ReleaseVersion { get; set; }

    public Guid DeviceId { get; set; }

    public bool Succeeded { get; set; }

    public DateTimeOffset At { get; set; }
}
