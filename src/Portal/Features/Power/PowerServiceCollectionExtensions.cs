namespace Fleet.Portal.Features.Power;

internal static class PowerServiceCollectionExtensions
{
    /// <summary>Wake-on-LAN through a relay on the sleeping device's segment, and groups' power plans.</summary>
    public static WebApplicationBuilder AddPower(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PowerOptions>().BindConfiguration(PowerOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WakeService>();
        builder.Services.AddSingleton<PowerPlanService>();
        builder.Services.AddSingleton<PowerEvaluator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PowerEvaluator>());
        return builder;
    }
}
