using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Health;

public static class HealthHosting
{
    /// <summary>
    /// The health collectors for the Linux host under <see cref="AgentOptions.HostRoot"/>, the sampler, and the
    /// device module that samples every health interval into the outbox and sends it; no module when
    /// <c>Agent:Health:Enabled</c> is false. Needs the process runner and rpm-ostree adapter of
    /// <see cref="AgentHostingExtensions.AddOsUpdates"/>.
    /// </summary>
    public static HostApplicationBuilder AddHealthReports(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<HealthAgentOptions>().BindConfiguration(HealthAgentOptions.SectionName)
            .ValidateWith<HealthAgentOptions, HealthAgentOptionsValidator>();
        services.TryAddSingleton<IProcessRunner>(_ => new ProcessRunner());
        services.TryAddSingleton<IRpmOstree, RpmOstreeCli>();
        services.TryAddSingleton<IHealthSource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<HealthAgentOptions>>().Value;
            var timeout = TimeSpan.FromSeconds(options.CollectorTimeoutSeconds);
            var files = new HostFiles(sp.GetRequiredService<IOptions<AgentOptions>>().Value.HostRoot);
            var runner = sp.GetRequiredService<IProcessRunner>();
            return new HealthSampler(Collectors(files, runner, sp.GetRequiredService<IRpmOstree>(), timeout), timeout, sp.GetRequiredService<ILogger<HealthSampler>>());
        });
        if (builder.Configuration.GetValue($"{HealthAgentOptions.SectionName}:Enabled", true) is false)
        {
            return builder;
        }

        services.AddSingleton<IDeviceModule>(sp =>
        {
            var agent = AgentHostingExtensions.Options(sp);
            var time = sp.GetRequiredService<TimeProvider>();
            var logger = AgentHostingExtensions.RuntimeLogger(sp);
            var outbox = new HealthOutbox(
                Path.Combine(agent.StateDirectory, HealthOutbox.DirectoryName),
                sp.GetRequiredService<IOptions<HealthAgentOptions>>().Value,
                time,
                logger);
            return new HealthModule(sp.GetRequiredService<IHealthSource>(), outbox, agent, time, logger);
        });
        return builder;
    }

    /// <summary>Every collector for one host.</summary>
    public static IReadOnlyList<IHealthCollector> Collectors(HostFiles files, IProcessRunner runner, IRpmOstree rpmOstree, TimeSpan toolTimeout) =>
    [
        new UptimeCollector(files),
        new CpuCollector(files),
        new LoadCollector(files),
        new MemoryCollector(files),
        new FilesystemCollector(files),
        new TemperatureCollector(files),
        new InterfaceCollector(files),
        new OsCollector(files),
        new DeploymentCollector(rpmOstree),
        new FailedUnitsCollector(runner, toolTimeout),
        new ContainerCollector(runner, toolTimeout),
        new TimeSyncCollector(runner, toolTimeout),
    ];
}
