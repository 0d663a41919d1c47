namespace Fleet.Portal.Features.Updates;

/// <summary>
/// One taken reboot slot of a group's FleetLock semaphore. The two unique indexes are what make the
/// semaphore safe under races: a node holds at most one slot of a group, and a slot number (0 to
/// slots − 1) has at most one holder, so two nodes racing for the last slot cannot both insert it.
/// </summary>
public sealed class FleetLockHolder
{
    public const int MaxNodeIdLength = 128;

    public long Id { get; set; }

    public int GroupId { get; set; }

    /// <summary>The FleetLock <c>client_params.id</c>: Zincati sends its node UUID (32 lower-case hex digits).</summary>
    public required string NodeId { get; set; }

    public int Slot { get; set; }

    public DateTimeOffset AcquiredAt { get; set; }
}
