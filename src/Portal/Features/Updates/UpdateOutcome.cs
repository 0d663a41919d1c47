namespace Fleet.Portal.Features.Updates;

/// <summary>How an update on a device ended, as its agent reported it.</summary>
public enum UpdateOutcome
{
    /// <summary>The device booted the release (and greenboot, where installed, passed).</summary>
    Succeeded,

    /// <summary>Deploying or booting the release failed.</summary>
    Failed,

    /// <summary>The device went back from the release to an older deployment.</summary>
    RolledBack,
}
