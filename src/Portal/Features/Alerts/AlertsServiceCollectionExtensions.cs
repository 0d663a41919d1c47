namespace Fleet.Portal.Features.Alerts;

internal static class AlertsServiceCollectionExtensions
{
    /// <summary>Alert rules and their evaluation, the default rules, notification channels and delivery.</summary>
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(NotificationSender.HttpClientName, c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;   // the sender's own timeout (DeliveryTimeoutSeconds) applies
            c.DefaultRequestHeaders.UserAgent.ParseAdd("Fleet-Portal");
        });
        builder.Services.AddSingleton<ChannelSecrets>();
        builder.Services.AddSingleton<NotificationSender>();
        builder.Services.AddSingleton<NotificationService>();
        builder.Services.AddSingleton<AlertDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertDispatcher>());
        builder.Services.AddSingleton<AlertNotifier>();
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddSingleton<AlertMetrics>();
        builder.Services.AddSingleton<AlertEngine>();
        builder.Services.AddHostedService<AlertDefaults>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertEngine>());
        return builder;
    }
}
