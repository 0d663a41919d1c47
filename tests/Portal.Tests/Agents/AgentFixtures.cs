using System.Security.Cryptography;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Agents;

/// <summary>Agent builds as the portal stores them, and what a device sees of self-updates.</summary>
internal static class AgentFixtures
{
    /// <summary>Stores a build row of <paramref name="version"/> for <paramref name="architecture"/>, signed with the
    /// portal's key over the hash of some random bytes (no file: the pusher reads only the row).</summary>
    public static async Task<AgentBuild> AddBuildAsync(
        this PortalInstance portal, string version, string architecture = "x86_64")
    {
        ArgumentNullException.ThrowIfNull(portal);
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(RandomNumberGenerator.GetBytes(64)));
        var build = new AgentBuild
        {
            Version = version, Architecture = architecture, Size = 64, Sha512 = sha512,
            Signature = portal.Services.GetRequiredService<AgentSigningKey>().Sign(version, architecture, sha512),
            AddedAt = DateTimeOffset.UtcNow, AddedBy = "test",
        };
        await using var db = await portal.CreateDbAsync();
        db.AgentBuilds.Add(build);
        await db.SaveChangesAsync();
        portal.Services.GetRequiredService<AgentNotifier>().Notify();
        return build;
    }

    public static AgentTargetService Targets(this PortalInstance portal) =>
        portal.Services.GetRequiredService<AgentTargetService>();

    public static async Task<DeviceAgentState?> AgentStateAsync(this PortalInstance portal, string deviceId)
    {
        await using var db = await portal.CreateDbAsync();
        var id = Guid.ParseExact(deviceId, "N");
        return await db.DeviceAgentStates.AsNoTracking().SingleOrDefaultAsync(s => s.DeviceId == id);
    }

    public static async Task<AgentTarget?> FleetTargetAsync(this PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.AgentTargets.AsNoTracking().SingleOrDefaultAsync(t => t.TargetKey == AgentTarget.FleetKey);
    }

    /// <summary>Subscribes the device to its release and settings topics and says it is Online with
    /// <paramref name="agentVersion"/>.</summary>
    public static async Task OnlineAsync(TestMqttClient client, string deviceId, string agentVersion)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.SubscribeAsync(Topics.AgentRelease(deviceId));
        await client.SubscribeAsync(Topics.Settings(deviceId));
        await client.PublishAsync(Topics.Status(deviceId), new DeviceStatus(DeviceState.Online, agentVersion),
            FleetJson.Default.DeviceStatus);
    }

    /// <summary>The next message on <paramref name="topic"/>, skipping others (settings, update policy).</summary>
    public static async Task<MqttApplicationMessage> NextOnAsync(TestMqttClient client, string topic)
    {
        ArgumentNullException.ThrowIfNull(client);
        while (true)
        {
            var message = await client.ReceiveAsync(TimeSpan.FromSeconds(20));
            if (message.Topic == topic)
            {
                return message;
            }
        }
    }

    /// <summary>Sends a self-update report as the device; answers once the portal has committed it.</summary>
    public static Task<MqttClientPublishReasonCode> ReportAsync(
        TestMqttClient client, string deviceId, string version, AgentUpdateResult result, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.PublishAsync(Topics.AgentReport(deviceId),
            new AgentUpdateReport(version, result, DateTimeOffset.UtcNow, detail), FleetJson.Default.AgentUpdateReport);
    }
}
