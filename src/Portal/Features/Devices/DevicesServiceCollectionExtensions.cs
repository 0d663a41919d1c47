namespace Fleet.Portal.Features.Devices;

internal static class DevicesServiceCollectionExtensions
{
    public static WebApplicationBuilder AddDevices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeviceOptions>().BindConfiguration(DeviceOptions.Section).ValidateDataAnnotations()
            .Validate(
                o => o.OfflineTimeoutSeconds > o.HeartbeatIntervalSeconds,
                "Fleet:Devices:OfflineTimeoutSeconds must be longer than HeartbeatIntervalSeconds")
            .ValidateOnStart();
        builder.Services.AddSingleton<PortalPublicUrl>();
        builder.Services.AddSingleton<DeviceNotifier>();
        builder.Services.AddSingleton<DeviceCredentials>();
        builder.Services.AddSingleton<DeviceService>();
        return builder;
    }
}
