using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Config;

/// <summary>Live config on the wire: the desired config in (retained), config reports out.</summary>
/// <param name="config">The live config side (the coordinator).</param>
/// <param name="logger">Where refusals and unreadable configs are logged.</param>
public sealed class ConfigModule(IDeviceConfig config, ILogger logger)
    : ReportingModule<ConfigReport>(
        config,
        Topics.ConfigReport,
        FleetJson.Default.ConfigReport,
        "config report",
        logger)
{
    private string? _configTopic;

    public override void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _configTopic = Topics.Config(deviceId);
        topics.Add(new(_configTopic, "the last config applied stays"));
    }

    public override ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        // An empty retained message clears the topic: the portal no longer assigns a config.
        if (topic != _configTopic || payload.Length == 0)
        {
            return ValueTask.FromResult(false);
        }

        if (MessageJson.TryDeserialize(payload, FleetJson.Default.DesiredConfig, out var desired))
        {
            config.OnDesired(desired);
        }
        else
        {
            Logger.LogWarning("Ignoring an unreadable desired config on {Topic}", topic);
        }

        return ValueTask.FromResult(false);
    }
}
