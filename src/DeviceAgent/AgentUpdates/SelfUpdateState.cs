using System.Text.Json;
using Fleet.DeviceAgent.State;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// What self-update must remember across the restart it causes, kept in <c>self-update.json</c> in the state folder:
/// the swap waiting for the new build to come online, the build being downloaded (so a download resumes only for the
/// same build), the last build refused or rolled back (not tried again) and the reports not yet delivered.
/// </summary>
/// <param name="Pending">The swap waiting for the new build to come online; null when none is.</param>
/// <param name="Downloading">The build the <c>.new</c> file beside the binary is (part of).</param>
/// <param name="Declined">The last build refused or rolled back: not tried again until another is offered.</param>
/// <param name="Unsent">Reports not yet acknowledged by the broker, oldest first, at most one per version.</param>
public sealed record SelfUpdateState(
    PendingSwap? Pending = null,
    OfferedBuild? Downloading = null,
    OfferedBuild? Declined = null,
    IReadOnlyList<AgentUpdateReport>? Unsent = null)
{
    /// <summary>Reports kept at most; the oldest goes first (the portal shows the last result).</summary>
    public const int MaxUnsent = 8;

    /// <summary>The state with <paramref name="report"/> queued, replacing an earlier report for its version.</summary>
    public SelfUpdateState WithReport(AgentUpdateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var unsent = (Unsent ?? []).Where(r => r.Version != report.Version).Append(report).ToList();
        return this with { Unsent = unsent.Count > MaxUnsent ? unsent[^MaxUnsent..] : unsent };
    }
}

/// <summary>
/// A swap made and not yet confirmed: the new build <paramref name="To"/> confirms it once online; otherwise the
/// restorer (the build <paramref name="From"/>, kept as <c>{Binary}.previous</c>) puts itself back.
/// </summary>
/// <param name="From">The version that made the swap.</param>
/// <param name="To">The version swapped in.</param>
/// <param name="Sha512">The SHA-512 of the build swapped in.</param>
/// <param name="Binary">The path of the agent binary that was replaced.</param>
/// <param name="Deadline">When the restorer runs if the new build has not come online (device clock).</param>
/// <param name="Seconds">The time the new build was given, for the roll-back's reason.</param>
public sealed record PendingSwap(
    string From, string To, string Sha512, string Binary, DateTimeOffset Deadline, int Seconds);

/// <summary>An offered build: a version and the SHA-512 of its file (another hash is another build).</summary>
/// <param name="Version">The agent version.</param>
/// <param name="Sha512">Its SHA-512, lower-case hex.</param>
public sealed record OfferedBuild(string Version, string Sha512)
{
    public static OfferedBuild Of(AgentRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        return new(release.Version, release.Sha512.ToLowerInvariant());
    }
}

/// <summary>
/// Keeps the <see cref="SelfUpdateState"/> in <c>self-update.json</c> in the agent's state folder, replaced atomically
/// (<see cref="DurableFile"/>). The agent and its restorer (another process, run by systemd) both use it.
/// </summary>
public sealed class SelfUpdateStore(string directory, ILogger logger)
{
    public const string FileName = "self-update.json";

    public string FilePath { get; } = Path.Combine(directory, FileName);

    /// <summary>The saved state; empty when there is none or it is unreadable (that is logged).</summary>
    public SelfUpdateState Load()
    {
        try
        {
            var bytes = File.ReadAllBytes(FilePath);
            return JsonSerializer.Deserialize(bytes, AgentStateJson.Default.SelfUpdateState) ?? new();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new();
        }
        catch (JsonException ex)
        {
            logger.LogWarning(
                "Self-update state {Path} is not valid JSON ({Error}); starting without it", FilePath, ex.Message);
            return new();
        }
    }

    public void Save(SelfUpdateState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DurableFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(state, AgentStateJson.Default.SelfUpdateState));
    }
}
