using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Updates;

/// <summary>OS updates on the wire: the portal's update policy in, deployment reports out.</summary>
/// <param name="updates">The update side (the coordinator).</param>
/// <param name="logger">Where refusals and unreadable policies are logged.</param>
public sealed class UpdatesModule(IDeviceUpdates updates, ILogger logger)
    : ReportingModule<DeploymentReport>(
        updates, Topics.Deployments, FleetJson.Default.DeploymentReport, "deployment report", logger)
{
    private string? _policyTopic;

    public override void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _policyTopic = Topics.UpdatePolicy(deviceId);
        topics.Add(new(_policyTopic, "OS updates follow the last policy received"));
    }

    /// <summary>Also asks the update side for a fresh report.</summary>
    public override void OnOnline(DeviceSession session)
    {
        base.OnOnline(session);
        updates.OnConnected();
    }

    public override ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        if (topic != _policyTopic)
        {
            return ValueTask.FromResult(false);
        }

        if (MessageJson.TryDeserialize(payload, FleetJson.Default.UpdatePolicy, out var policy))
        {
            updates.OnPolicy(policy);
        }
        else
        {
            Logger.LogWarning("Ignoring an unreadable update policy on {Topic}", topic);
        }

        return ValueTask.FromResult(false);
    }
}
