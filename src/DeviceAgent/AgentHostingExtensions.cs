using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.State;
using MQTTnet;

namespace Fleet.DeviceAgent;

public static class AgentHostingExtensions
{
    /// <summary>Options, clock and MQTT client factory: what both the agent and the simulator need.</summary>
    public static HostApplicationBuilder AddAgentCore(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AgentOptions>()
            .BindConfiguration(AgentOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MqttClientFactory>();
        builder.Services.AddSystemd();
        return builder;
    }

    /// <summary>The real agent for the Linux host it runs on.</summary>
    public static HostApplicationBuilder AddDeviceAgent(this HostApplicationBuilder builder)
    {
        builder.AddAgentCore();
        builder.Services.AddSingleton<IIdentityCollector, LinuxIdentityCollector>();
        builder.Services.AddSingleton<IHealthReader, LinuxHealthReader>();
        builder.Services.AddSingleton<IStateStore, FileStateStore>();
        builder.Services.AddHostedService<AgentWorker>();
        return builder;
    }
}
