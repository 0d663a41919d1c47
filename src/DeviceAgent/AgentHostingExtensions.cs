using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection.Extensions;
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

    /// <summary>
    /// Checks the options before anything starts, so a bad one is said in one line (which option, which rule)
    /// rather than by the host's report of a failed start with its stack trace; null when they are valid.
    /// </summary>
    public static string? OptionsProblem(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            host.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            return null;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            return string.Join("; ", ex.Failures);
        }
        catch (InvalidOperationException ex) when (ex.Source == "Microsoft.Extensions.Configuration.Binder")
        {
            return ex.Message;   // a value of the wrong type; the message names the key and the value
        }
    }

    /// <summary>The real agent for the Linux host it runs on.</summary>
    public static HostApplicationBuilder AddDeviceAgent(this HostApplicationBuilder builder)
    {
        builder.AddAgentCore();
        builder.Services.AddSingleton<IIdentityCollector, LinuxIdentityCollector>();
        builder.Services.AddSingleton<IHealthReader, LinuxHealthReader>();
        builder.Services.AddSingleton<IStateStore, FileStateStore>();
        builder.AddOsUpdates();
        builder.AddHealthReports();
        builder.AddLiveConfig();
        builder.Services.AddOptions<Tpm.TpmOptions>().BindConfiguration(Tpm.TpmOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<Tpm.Tpm2Tools>();
        builder.Services.AddHostedService<AgentWorker>();
        return builder;
    }

    /// <summary>
    /// OS update management: adapters for rpm-ostree, systemctl and greenboot (real binaries from PATH),
    /// Zincati's drop-in, the Cincinnati/FleetLock driver and the coordinator the device loop talks to.
    /// Registered with TryAdd so a test host can put its own process runner (a PATH with stand-ins) first.
    /// </summary>
    public static HostApplicationBuilder AddOsUpdates(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<UpdateAgentOptions>().BindConfiguration(UpdateAgentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IProcessRunner>(_ => new ProcessRunner());
        services.TryAddSingleton<IRpmOstree, RpmOstreeCli>();
        services.TryAddSingleton<SystemctlCli>();
        services.TryAddSingleton<ISystemReboot>(sp => sp.GetRequiredService<SystemctlCli>());
        services.TryAddSingleton<IServiceManager>(sp => sp.GetRequiredService<SystemctlCli>());
        services.TryAddSingleton<IUpdateHost, LinuxUpdateHost>();
        services.TryAddSingleton<IGreenbootReader, GreenbootReader>();
        services.TryAddSingleton<IUpdateStateStore, FileUpdateStateStore>();

        // One client for both protocols; long enough for a slow graph, short enough to notice a dead server.
        services.TryAddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMinutes(2) });
        services.TryAddSingleton<CincinnatiClient>();
        services.TryAddSingleton<FleetLockClient>();
        services.TryAddSingleton<ZincatiConfigWriter>();
        services.TryAddSingleton<DeploymentObserver>();
        services.TryAddSingleton<UpdateDriver>();
        services.TryAddSingleton<UpdateCoordinator>();
        services.TryAddSingleton<IDeviceUpdates>(sp => sp.GetRequiredService<UpdateCoordinator>());
        services.AddHostedService<UpdateWorker>();
        return builder;
    }
}
