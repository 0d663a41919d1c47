using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Config;

/// <summary>Hosts the <see cref="ConfigCoordinator"/> loop.</summary>
internal sealed class ConfigWorker(ConfigCoordinator coordinator) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => coordinator.RunAsync(stoppingToken);
}

public static class ConfigHosting
{
    /// <summary>
    /// Live config: the applier writing under <see cref="AgentOptions.HostRoot"/>, systemctl from PATH, the
    /// ledger in the state directory, the coordinator and its device module. Not registered when
    /// <c>Agent:Config:Enabled</c> is false.
    /// </summary>
    public static HostApplicationBuilder AddLiveConfig(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ConfigAgentOptions>().BindConfiguration(ConfigAgentOptions.SectionName)
            .ValidateWith<ConfigAgentOptions, ConfigAgentOptionsValidator>();
        if (builder.Configuration.GetValue($"{ConfigAgentOptions.SectionName}:Enabled", true) is false)
        {
            return builder;
        }

        services.TryAddSingleton<IProcessRunner>(_ => new ProcessRunner());
        services.TryAddSingleton<SystemctlCli>();
        services.TryAddSingleton<IUnitManager>(sp => sp.GetRequiredService<SystemctlCli>());
        services.TryAddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMinutes(2) });
        services.TryAddSingleton<ContentFetcher>();
        services.TryAddSingleton<IConfigLedger>(sp => new FileConfigLedger(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDirectory));
        services.TryAddSingleton(sp => new ConfigApplier(
            sp.GetRequiredService<IOptions<AgentOptions>>().Value.HostRoot,
            sp.GetRequiredService<ContentFetcher>(),
            sp.GetRequiredService<IUnitManager>(),
            sp.GetRequiredService<IConfigLedger>()));
        services.TryAddSingleton<ConfigCoordinator>();
        services.TryAddSingleton<IDeviceConfig>(sp => sp.GetRequiredService<ConfigCoordinator>());
        services.AddSingleton<IDeviceModule>(sp =>
            new ConfigModule(sp.GetRequiredService<IDeviceConfig>(), AgentHostingExtensions.RuntimeLogger(sp)));
        services.AddHostedService<ConfigWorker>();
        return builder;
    }
}
