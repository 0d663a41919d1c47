using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Health;

internal static class HealthServiceCollectionExtensions
{
    /// <summary>Health report intake (validation, batch writer), retention, queries (alerts: AddAlerts).</summary>
    public static WebApplicationBuilder AddDeviceHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<HealthMetrics>();
        builder.Services.AddScoped<HealthBatch>();
        builder.Services.AddInboundHandler<HealthReportHandler>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<HealthOptions>>().Value;
            return new MessageRate(InboundKind.Of(TopicKind.Health), o.ReportBurst, o.MaxReportsPerMinute);
        });
        builder.Services.AddSingleton<HealthRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HealthRetention>());
        builder.Services.AddSingleton<HealthQueryService>();
        builder.Services.AddSingleton<HealthSettingsService>();
        builder.Services.AddSingleton<Dashboard.DashboardQuery>();
        builder.Services.AddSingleton<Dashboard.FleetHistory>();
        return builder;
    }
}
