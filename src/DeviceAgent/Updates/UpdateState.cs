using Microsoft.Extensions.Options;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>
/// What the update side must remember across restarts and reboots: the last policy (to act on it while
/// offline), the deployment booted last time (to tell an update from a rollback), the update in flight
/// (to judge it after the reboot), the reboot lock, and the events not yet acknowledged by the portal.
/// </summary>
public sealed record UpdateState
{
    public const int MaxOutbox = 50;

    public UpdatePolicy? Policy { get; init; }

    /// <summary>The booted deployment as first seen in the last boot observed.</summary>
    public BootRecord? LastBoot { get; init; }

    /// <summary>The staged deployment last seen (to notice one Zincati stages, and what a fallback left).</summary>
    public DeploymentRecord? LastStaged { get; init; }

    /// <summary>The boot that was found to be a rollback; reports say so for as long as it runs.</summary>
    public string? RollbackBootId { get; init; }

    public PendingUpdate? Pending { get; init; }

    /// <summary>A FleetLock slot taken before a reboot and not yet given back.</summary>
    public bool LockHeld { get; init; }

    /// <summary>The last rollback command acted on (each is acted on once, whatever the outcome).</summary>
    public string? HandledRollbackId { get; init; }

    /// <summary>A target that failed to deploy; not tried again for an hour.</summary>
    public DeploymentRecord? FailedTarget { get; init; }

    public DateTimeOffset? FailedAt { get; init; }

    public DateTimeOffset? LastCheckAt { get; init; }

    /// <summary>Update events in order, each sent in a report until the portal acknowledges it.</summary>
    public IReadOnlyList<UpdateEvent> Outbox { get; init; } = [];

    public UpdateState WithEvents(IEnumerable<UpdateEvent> events)
    {
        var all = Outbox.Concat(events).ToList();
        return this with { Outbox = all.Count <= MaxOutbox ? all : all[^MaxOutbox..] };
    }
}

public sealed record DeploymentRecord(string Checksum, string? Version);

public sealed record BootRecord(string BootId, string Checksum, string? Version, DateTimeOffset? Timestamp);

public enum PendingKind
{
    Update,
    Rollback,
}

public enum PendingPhase
{
    /// <summary>Deployed (or rolled back) for the next boot; waiting for the reboot lock.</summary>
    Staged,

    /// <summary>Lock taken, reboot requested in boot <see cref="PendingUpdate.RebootBootId"/>.</summary>
    Rebooting,
}

/// <summary>An update or rollback the agent started and has not judged yet.</summary>
/// <param name="TargetVersion">The release being installed; for a rollback, the version rolled back to.</param>
/// <param name="TargetChecksum">Its commit; null for a rollback.</param>
/// <param name="FromChecksum">The commit booted when it started.</param>
/// <param name="Kind">An update or a rollback.</param>
/// <param name="FromVersion">The version booted when it started, if known.</param>
/// <param name="Phase">Where it stands: staged, or rebooting.</param>
/// <param name="StartedAt">When the agent started it.</param>
/// <param name="RebootBootId">The boot id in which the reboot was requested.</param>
/// <param name="RebootRequestedAt">When the reboot was requested.</param>
/// <param name="NewBootSeenAt">When the agent first saw the new boot (greenboot's verdict counts from then).</param>
public sealed record PendingUpdate(
    PendingKind Kind,
    string? TargetVersion,
    string? TargetChecksum,
    string FromChecksum,
    string? FromVersion,
    PendingPhase Phase,
    DateTimeOffset StartedAt,
    string? RebootBootId = null,
    DateTimeOffset? RebootRequestedAt = null,
    DateTimeOffset? NewBootSeenAt = null);

/// <summary>Keeps the <see cref="UpdateState"/>.</summary>
public interface IUpdateStateStore
{
    Task<UpdateState> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(UpdateState state, CancellationToken cancellationToken);
}

/// <summary><c>updates.json</c> next to <c>state.json</c>, replaced atomically.</summary>
public sealed class FileUpdateStateStore(IOptions<AgentOptions> options, ILogger<FileUpdateStateStore> logger) : IUpdateStateStore
{
    public const string FileName = "updates.json";

    public string FilePath => Path.Combine(options.Value.StateDirectory, FileName);

    public async Task<UpdateState> LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!File.Exists(FilePath))
            {
                return new UpdateState();
            }

            await using var stream = File.OpenRead(FilePath);
            return await JsonSerializer.DeserializeAsync(stream, UpdateStateJson.Default.UpdateState, cancellationToken) ?? new UpdateState();
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // Losing it costs a re-check and possibly an unreported outcome; refusing to start would cost updates.
            logger.LogError("Update state {Path} is unreadable ({Error}); starting afresh", FilePath, ex.Message);
            return new UpdateState();
        }
    }

    public async Task SaveAsync(UpdateState state, CancellationToken cancellationToken)
    {
        // The directory also holds state.json with the device's secret: create it private, as FileStateStore does.
        if (!Directory.Exists(options.Value.StateDirectory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(options.Value.StateDirectory);
            }
            else
            {
                Directory.CreateDirectory(options.Value.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var temporary = FilePath + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, state, UpdateStateJson.Default.UpdateState, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}

public sealed class InMemoryUpdateStateStore(UpdateState? initial = null) : IUpdateStateStore
{
    private UpdateState _state = initial ?? new UpdateState();

    public UpdateState Current => Volatile.Read(ref _state);

    public Task<UpdateState> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(Current);

    public Task SaveAsync(UpdateState state, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _state, state);
        return Task.CompletedTask;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UpdateState))]
internal sealed partial class UpdateStateJson : JsonSerializerContext;
