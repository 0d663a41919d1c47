using Fleet.Portal.Features.Devices;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Portal.Features.Updates.FleetLock;
using Fleet.Portal.Features.Updates.Import;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.Portal.Features.Updates;

internal static class UpdatesServiceCollectionExtensions
{
    /// <summary>Streams, releases, groups, the Cincinnati graph and FleetLock. Call after <c>AddFleetData</c>.</summary>
    public static WebApplicationBuilder AddUpdates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<UpdateOptions>().BindConfiguration(UpdateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.ConfigureDbContext<FleetDbContext>(o => o.AddInterceptors(new NodeUuidStamp()));
        builder.Services.AddHttpClient(ReleaseImportService.HttpClientName, c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;   // the import's own timeout covers all documents together
            c.DefaultRequestHeaders.UserAgent.ParseAdd("Fleet-Portal");
        });
        builder.Services.AddSingleton<UpdateNotifier>();
        builder.Services.AddSingleton<UpdateService>();
        builder.Services.AddSingleton<ReleaseImportService>();
        builder.Services.AddSingleton<FleetLockService>();
        builder.Services.AddSingleton<UpdateGraphService>();
        builder.Services.AddSingleton<RolloutGuard>();
        // The device-agent side registers the real counts (from booted versions) before or instead of this.
        // The device agent's deployment reports answer these; the defaults in Devices/ are for a portal without Updates.
        // Replaces only the defaults, so a test that registered its own probe keeps it.
        ReplaceDefault<IDeploymentCounts, NoDeploymentCounts, BootedVersionCounts>(builder.Services, ServiceLifetime.Singleton);
        ReplaceDefault<IUpdatePolicyProvider, DefaultUpdatePolicyProvider, FleetUpdatePolicyProvider>(builder.Services, ServiceLifetime.Scoped);
        ReplaceDefault<IUpdateOutcomeSink, NoUpdateOutcomeSink, RolloutGuardOutcomeSink>(builder.Services, ServiceLifetime.Scoped);
        builder.Services.AddHostedService<UpdatePolicyPusher>();
        builder.Services.AddHostedService<UpdatesInitializer>();
        return builder;
    }

    /// <summary>The device-facing endpoints Zincati talks to: <c>/v1/graph</c>, <c>/v1/pre-reboot</c>, <c>/v1/steady-state</c>.</summary>
    public static IEndpointRouteBuilder MapUpdateProtocolEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapCincinnatiEndpoints();
        app.MapFleetLockEndpoints();
        return app;
    }

    private static void ReplaceDefault<TService, TDefault, TImplementation>(IServiceCollection services, ServiceLifetime lifetime)
        where TService : class
        where TImplementation : class, TService
    {
        var existing = services.LastOrDefault(d => d.ServiceType == typeof(TService));
        if (existing is null || existing.ImplementationType == typeof(TDefault))
        {
            services.Replace(new ServiceDescriptor(typeof(TService), typeof(TImplementation), lifetime));
        }
    }
}
