using Fleet.Portal.Ingest;

namespace Fleet.Portal.Features.Commands;

internal static class CommandsServiceCollectionExtensions
{
    /// <summary>Commands for devices: the service, the dispatcher with its sweep, and the ingest of results.</summary>
    public static WebApplicationBuilder AddCommands(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CommandOptions>().BindConfiguration(CommandOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CommandNotifier>();
        builder.Services.AddSingleton<CommandDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CommandDispatcher>());
        builder.Services.AddSingleton<CommandService>();
        builder.Services.AddSingleton<DiagnosticService>();
        builder.Services.AddInboundHandler<CommandResultHandler>();
        builder.Services.AddInboundHandler<CommandOnlineHandler>();
        return builder;
    }
}
