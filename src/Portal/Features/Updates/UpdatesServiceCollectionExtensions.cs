using Fleet.Portal.Ingest;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Portal.Features.Updates.FleetLock;
using Fleet.Portal.Features.Updates.Import;

namespace Fleet.Portal.Features.Updates;

internal static class UpdatesServiceCollectionExtensions
{
    /// <summary>Streams, releases, groups, the Cincinnati graph and FleetLock. Call after <c>AddFleetData</c>.</summary>
    public static WebApplicationBuilder AddUpdates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<UpdateOptions>().BindConfiguration(UpdateOptions.Section).ValidateDataAnnotations()
            .Validate(
                o => string.IsNullOrWhiteSpace(o.PublicBaseUrl) || Shared.UpdateRules.IsBaseUrl(o.PublicBaseUrl),
                "Fleet:Updates:PublicBaseUrl must be an absolute http or https URL without query")
            .ValidateOnStart();
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
        builder.Services.AddSingleton<DeploymentCounts>();

        builder.Services.AddInboundHandler<DeploymentReportHandler>();
        builder.Services.AddInboundHandler<UpdatePolicyHandler>();
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
}
