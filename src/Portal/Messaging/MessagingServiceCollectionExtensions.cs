using Fleet.Portal.Features.Devices;

namespace Fleet.Portal.Messaging;

internal static class MessagingServiceCollectionExtensions
{
    /// <summary>The embedded broker, the ingest queue and pipeline, and the presence monitor.</summary>
    public static WebApplicationBuilder AddFleetMessaging(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.Section).ValidateDataAnnotations()
            .Validate(o => System.Net.IPAddress.TryParse(o.BindAddress, out _), "Fleet:Mqtt:BindAddress must be an IP address")
            .Validate(o => o.MaxConnectPacketBytes <= o.MaxPacketBytes,
                "Fleet:Mqtt:MaxConnectPacketBytes must not exceed MaxPacketBytes")
            .ValidateOnStart();
        builder.Services.AddSingleton<IngestQueue>();
        builder.Services.AddSingleton<EmbeddedBroker>();
        builder.Services.AddSingleton<IDevicePublisher>(sp => sp.GetRequiredService<EmbeddedBroker>());
        builder.Services.AddSingleton<IDeviceSessions>(sp => sp.GetRequiredService<EmbeddedBroker>());
        builder.Services.AddSingleton<ConnectionGuard>();
        builder.Services.AddSingleton<ConnectionBudget>();
        builder.Services.AddSingleton<DeviceMessageLimiter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        builder.Services.AddHostedService<IngestPipeline>();
        builder.Services.AddHostedService<PresenceMonitor>();
        builder.Services.AddScoped<EnrollmentDecider>();
        builder.Services.AddScoped<EnrollmentBatch>();
        return builder;
    }
}
