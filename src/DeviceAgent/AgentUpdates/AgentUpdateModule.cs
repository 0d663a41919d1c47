using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>Self-update on the wire: the portal's <see cref="AgentRelease"/> in, <see cref="AgentUpdateReport"/>s out.
/// </summary>
/// <param name="updater">The agent's side of self-update.</param>
/// <param name="logger">Where refusals and unreadable releases are logged.</param>
public sealed class AgentUpdateModule(AgentUpdater updater, ILogger logger)
    : ReportingModule<AgentUpdateReport>(
        updater, Topics.AgentReport, FleetJson.Default.AgentUpdateReport, "agent update report", logger),
        IDeviceModule
{
    private string? _releaseTopic;

    public AgentUpdater Updater { get; } = updater;

    public override void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _releaseTopic = Topics.AgentRelease(deviceId);
        topics.Add(new(_releaseTopic, $"the agent stays at {Updater.RunningVersion} whatever the portal offers"));
    }

    /// <summary>The updater's work (downloads, checks, the swap) runs beside the device loop.</summary>
    public Task RunWhileEnrolledAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.Run(() => Updater.RunAsync(cancellationToken), CancellationToken.None);

    /// <summary>Also tells the updater: a new build confirms its swap once online.</summary>
    public override void OnOnline(DeviceSession session)
    {
        base.OnOnline(session);
        Updater.OnOnline();
    }

    public override ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        if (topic != _releaseTopic)
        {
            return ValueTask.FromResult(false);
        }

        if (payload.Length == 0)
        {
            // The portal clears the retained release when it offers none (halted, withdrawn, already running).
            Logger.LogDebug("No agent release is offered on {Topic}", topic);
        }
        else if (MessageJson.TryDeserialize(payload, FleetJson.Default.AgentRelease, out var release))
        {
            Updater.Offer(release);
        }
        else
        {
            Logger.LogWarning("Ignoring an unreadable agent release on {Topic}", topic);
        }

        return ValueTask.FromResult(false);
    }
}
