namespace Fleet.Portal.Features.Commands.Runs;

internal static class CommandRunsServiceCollectionExtensions
{
    /// <summary>Bulk runs: the service, its runner and the notifier of open run pages. Call after the command core.
    /// </summary>
    public static WebApplicationBuilder AddCommandRuns(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CommandRunNotifier>();
        builder.Services.AddSingleton<CommandRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CommandRunner>());
        builder.Services.AddSingleton<CommandRunService>();
        return builder;
    }
}
