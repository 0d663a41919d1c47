using Fleet.Portal.Ingest;
namespace Fleet.Portal.Features.Configs;

internal static class ConfigsServiceCollectionExtensions
{
    /// <summary>The config library, rendering, the /ignition cache and the DesiredConfig pusher. Call after <c>AddDevices</c> and <c>AddUpdates</c>.</summary>
    public static WebApplicationBuilder AddConfigs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConfigOptions>().BindConfiguration(ConfigOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IConfigToolchain, SharedIgnitionToolchain>();
        builder.Services.AddSingleton<ConfigNotifier>();
        builder.Services.AddSingleton<ConfigSecrets>();
        builder.Services.AddSingleton<ConfigService>();
        builder.Services.AddSingleton<ConfigRenderer>();
        builder.Services.AddSingleton<IgnitionCache>();
        builder.Services.AddSingleton<IgnitionUrlSigner>();
        builder.Services.AddSingleton<AnonymousRequestLimiter>();
        builder.Services.AddSingleton<PendingPlaceholders>();
        builder.Services.AddSingleton<IgnitionService>();
        builder.Services.AddHostedService<ConfigPusher>();
        builder.Services.AddInboundHandler<ConfigReportHandler>();
        return builder;
    }

    /// <summary>The device-facing endpoints: <c>/ignition</c> and <c>/boot.ipxe</c>.</summary>
    public static IEndpointRouteBuilder MapConfigProtocolEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapIgnitionEndpoints();
        app.MapBootScriptEndpoints();
        return app;
    }
}
