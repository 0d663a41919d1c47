using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
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
        builder.Services.AddSingleton<DeviceLabelService>();
        builder.Services.AddSingleton<SavedDeviceFilterService>();
        builder.Services.AddInboundHandler<HeartbeatHandler>();
        builder.Services.AddInboundHandler<StatusHandler>();
        builder.Services.AddInboundHandler<PresenceHandler>();
        builder.Services.AddHostedService<PresenceMonitor>();
        return builder;
    }
}
