using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.AgentUpdates;

public static class SelfUpdateHosting
{
    /// <summary>
    /// Self-update: the updater (tools from PATH, the self-update state in the state folder) and its device module.
    /// Not registered when <c>Agent:SelfUpdate:Enabled</c> is false.
    /// </summary>
    public static HostApplicationBuilder AddSelfUpdate(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SelfUpdateOptions>().BindConfiguration(SelfUpdateOptions.SectionName)
            .ValidateWith<SelfUpdateOptions, SelfUpdateOptionsValidator>();
        if (builder.Configuration.GetValue($"{SelfUpdateOptions.SectionName}:Enabled", true) is false)
        {
            return builder;
        }

        services.TryAddSingleton<IProcessRunner>(_ => new ProcessRunner());
        services.TryAddSingleton(_ => new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = TimeSpan.FromMinutes(2),
        });
        services.TryAddSingleton(sp => new AgentUpdater(
            sp.GetRequiredService<IOptions<SelfUpdateOptions>>().Value,
            AgentVersion.Current,
            new SelfUpdateStore(
                AgentHostingExtensions.Options(sp).StateDirectory, AgentHostingExtensions.RuntimeLogger(sp)),
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IProcessRunner>(),
            sp.GetRequiredService<HttpClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IHostApplicationLifetime>().StopApplication,
            AgentHostingExtensions.RuntimeLogger(sp)));
        services.AddSingleton<IDeviceModule>(sp =>
            new AgentUpdateModule(sp.GetRequiredService<AgentUpdater>(), AgentHostingExtensions.RuntimeLogger(sp)));
        return builder;
    }
}
