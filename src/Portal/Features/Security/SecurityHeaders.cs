namespace Fleet.Portal.Features.Security;

/// <summary>
/// Response headers every answer carries (pages, static files, the API, the device protocols and error
/// answers alike), and no <c>Server</c> header naming the web server.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// Browsers must not guess a content type (a CSV or JSON answer never runs as a script); the portal
    /// may not be framed by any site (clickjacking; Blazor Server never frames itself); no other site
    /// learns portal addresses (device ids, filters) from the Referer. <c>same-origin</c> rather than
    /// <c>no-referrer</c>: both send nothing to other sites, but under <c>no-referrer</c> a browser sends
    /// <c>Origin: null</c> on the portal's own form posts, which origin checks would have to refuse.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Values =
    [
        new("X-Content-Type-Options", "nosniff"),
        new("X-Frame-Options", "DENY"),
        new("Content-Security-Policy", "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"),
        new("Referrer-Policy", "same-origin"),
    ];

    public static WebApplicationBuilder AddSecurityHeaders(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        return builder;
    }

    /// <summary>
    /// First in the pipeline. The headers are set when the response starts, so an exception handler
    /// that clears the response, a status code page or a static file all still carry them.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpResponse)state).Headers;
                foreach (var (name, value) in Values)
                {
                    headers[name] = value;
                }

                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
}
