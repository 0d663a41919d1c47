namespace Fleet.Portal.Features.Devices;

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

/// <summary>
/// Told about every update outcome once the report carrying it is committed, e.g. to halt a release
/// that fails on devices. Resolved from a fresh DI scope per ingest batch; an exception is logged and
/// does not affect ingest (the device's report is already stored and acknowledged). Implemented by the
/// rollout guard (Features/Updates); an interface so ingest tests can record the outcomes.
/// </summary>
public interface IUpdateOutcomeSink
{
    /// <param name="deviceId">The device that reported it.</param>
    /// <param name="version">The release the outcome is about: the version installed, failed, or rolled back from.</param>
    /// <param name="outcome">Succeeded, failed or rolled back.</param>
    /// <param name="cancellationToken">Stops waiting at shutdown.</param>
    Task RecordAsync(Guid deviceId, string version, UpdateOutcome outcome, CancellationToken cancellationToken);
}
