using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.Portal;

internal static class ProbeEndpoints
{
    public static WebApplicationBuilder AddProbes(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReadinessCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// <c>/healthz</c>: the process answers. <c>/readyz</c>: the portal can store what devices send (<see
    /// cref="ReadinessCheck"/>).
    /// </summary>
    public static void MapProbeEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
    }
}
