using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.Portal.Features.Devices;

internal static class DevicesServiceCollectionExtensions
{
    public static WebApplicationBuilder AddDevices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeviceOptions>().BindConfiguration(DeviceOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.OfflineTimeoutSeconds > o.HeartbeatIntervalSeconds, "Fleet:Devices:OfflineTimeoutSeconds must be longer than HeartbeatIntervalSeconds")
            .ValidateOnStart();
        builder.Services.AddOptions<DeviceUpdateOptions>().BindConfiguration(DeviceUpdateOptions.Section)
            .Validate(o => string.IsNullOrWhiteSpace(o.PublicBaseUrl) || Shared.UpdateRules.IsBaseUrl(o.PublicBaseUrl), "Fleet:Updates:PublicBaseUrl must be an absolute http or https URL without query")
            .ValidateOnStart();
        builder.Services.AddSingleton<PortalPublicUrl>();

        // Defaults until release management supplies the real ones; a later registration replaces them.
        builder.Services.TryAddScoped<IUpdatePolicyProvider, DefaultUpdatePolicyProvider>();
        builder.Services.TryAddScoped<IUpdateOutcomeSink, NoUpdateOutcomeSink>();
        builder.Services.AddSingleton<DeviceNotifier>();
        builder.Services.AddSingleton<DeviceCredentials>();
        builder.Services.AddSingleton<DeviceService>();
        return builder;
    }
}
