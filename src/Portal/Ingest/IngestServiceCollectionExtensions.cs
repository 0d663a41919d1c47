namespace Fleet.Portal.Ingest;

internal static class IngestServiceCollectionExtensions
{
    /// <summary>The single writer of device state (<see cref="IngestPipeline"/>) and its metrics.</summary>
    public static WebApplicationBuilder AddIngest(this WebApplicationBuilder builder)
    {
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddHostedService<IngestPipeline>();
        return builder;
    }

    /// <summary>
    /// Registers a feature's handler of inbound messages: one instance per batch; handlers of the same kind run in
    /// the order they were registered.
    /// </summary>
    public static IServiceCollection AddInboundHandler<T>(this IServiceCollection services)
        where T : class, IInboundHandler =>
        services.AddScoped<IInboundHandler, T>();
}
