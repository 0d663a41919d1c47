namespace Fleet.Portal.Messaging;

internal static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// The embedded broker (hosting, publish gate, session delivery) and the ingest queue. Who may connect is the
    /// <see cref="IClientAuthenticator"/> a feature registers.
    /// </summary>
    public static WebApplicationBuilder AddFleetMessaging(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.Section).ValidateDataAnnotations()
            .Validate(o => System.Net.IPAddress.TryParse(o.BindAddress, out _),
                "Fleet:Mqtt:BindAddress must be an IP address")
            .Validate(o => System.Net.IPAddress.TryParse(o.PlainBindAddress, out _),
                "Fleet:Mqtt:PlainBindAddress must be an IP address")
            .Validate(o => o.MaxConnectPacketBytes <= o.MaxPacketBytes,
                "Fleet:Mqtt:MaxConnectPacketBytes must not exceed MaxPacketBytes")
            .ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<IngestQueue>();
        builder.Services.AddSingleton<SessionDelivery>();
        builder.Services.AddSingleton<IDevicePublisher>(sp => sp.GetRequiredService<SessionDelivery>());
        builder.Services.AddSingleton<IDeviceSessions>(sp => sp.GetRequiredService<SessionDelivery>());
        builder.Services.AddSingleton<PublishGate>();
        builder.Services.AddSingleton<ConnectionBudget>();
        builder.Services.AddSingleton<DeviceMessageLimiter>();
        builder.Services.AddSingleton<EmbeddedBroker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        return builder;
    }
}
