using Fleet.Portal.Ingest;

namespace Fleet.Portal.Features.Agents;

internal static class AgentsServiceCollectionExtensions
{
    /// <summary>Agent builds, their signing key, the built-in Ignition layer and agent self-updates.</summary>
    public static WebApplicationBuilder AddAgents(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AgentDeliveryOptions>().BindConfiguration(AgentDeliveryOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AgentSigningKey>();
        builder.Services.AddSingleton<AgentNotifier>();
        builder.Services.AddSingleton<AgentTargetService>();
        builder.Services.AddInboundHandler<AgentReportHandler>();
        builder.Services.AddHostedService<AgentReleasePusher>();
        return builder;
    }

    /// <summary>The device-facing endpoints: <c>/agent/{version}/{architecture}</c>.</summary>
    public static IEndpointRouteBuilder MapAgentProtocolEndpoints(this IEndpointRouteBuilder app) => app;
}
