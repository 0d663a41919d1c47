using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Agents;

internal static class AgentsServiceCollectionExtensions
{
    /// <summary>Agent builds, their signing key, the built-in Ignition layer and agent self-updates. Call after
    /// <c>AddConfigs</c>.</summary>
    public static WebApplicationBuilder AddAgents(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AgentDeliveryOptions>().BindConfiguration(AgentDeliveryOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AgentSigningKey>();
        builder.Services.AddSingleton<AgentNotifier>();
        builder.Services.AddSingleton<AgentCatalog>();
        builder.Services.AddSingleton(sp => new AgentLayer(
            sp.GetRequiredService<IOptions<AgentDeliveryOptions>>(),
            sp.GetRequiredService<PortalPublicUrl>(),
            () => sp.GetRequiredService<EmbeddedBroker>().Port,
            sp.GetRequiredService<ConfigSecrets>(),
            sp.GetRequiredService<PortalCertificateAuthority>()));
        builder.Services.AddHostedService<AgentCatalogImporter>();
        builder.Services.AddSingleton<AgentTargetService>();
        builder.Services.AddInboundHandler<AgentReportHandler>();
        builder.Services.AddHostedService<AgentReleasePusher>();
        return builder;
    }

    /// <summary>The device-facing endpoints: <c>/agent/{version}/{architecture}</c>.</summary>
    public static IEndpointRouteBuilder MapAgentProtocolEndpoints(this IEndpointRouteBuilder app) =>
        app.MapAgentDownloadEndpoint();
}
