using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpsPolicy;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// Kestrel's https addresses present the <see cref="ServerCertificate"/> with its chain; plain http addresses are
/// allowed where configured and named in a warning at start; HTTPS answers carry HSTS.
/// </summary>
internal static class HttpsListeners
{
    /// <summary>
    /// HSTS lifetime. Short enough that a portal moved to another name, or whose CA was replaced before browsers
    /// trust the new one, does not lock browsers out for long; browsers ignore it for IP addresses and for answers
    /// with certificate errors anyway (RFC 6797, 8.1). No <c>includeSubDomains</c>: a portal on an internal name
    /// must not force HTTPS on other sites under that name.
    /// </summary>
    public static readonly TimeSpan HstsMaxAge = TimeSpan.FromDays(30);

    /// <summary>Where the portal listens when nothing names its addresses: HTTPS only, every address.</summary>
    public const string DefaultUrls = "https://+:8443";

    public static WebApplicationBuilder AddHttpsListeners(this WebApplicationBuilder builder)
    {
        // In code rather than as Urls in appsettings.json, which would override ASPNETCORE_URLS.
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey])
            && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            var certificate = kestrel.ApplicationServices.GetRequiredService<ServerCertificate>();

            // The selector lets Kestrel take an https address without a certificate of its own (no dev cert); the
            // handshake then uses the context instead, which sends the chain, and each new connection gets the
            // certificate current then (reloaded or renewed). SslStream refuses both a context and a callback.
            https.ServerCertificateSelector = (_, _) => certificate.Certificate;
            https.OnAuthenticate = (_, ssl) =>
            {
                ssl.ServerCertificateContext = certificate.Context;
                ssl.ServerCertificateSelectionCallback = null;
            };
        }));
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = HstsMaxAge;
            o.IncludeSubDomains = false;
            o.Preload = false;
        });
        return builder;
    }

    /// <summary>HSTS on HTTPS answers (not to localhost: HSTS holds for every port of a host name), and, once
    /// Kestrel listens, a warning for each plain http address.</summary>
    public static WebApplication UseHttpsListeners(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseHsts();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
                ?.Addresses ?? [];
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HttpsListeners));
            var secure = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                ?? "an https:// address (--urls)";
            foreach (var plain in addresses.Where(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            {
                logger.LogWarning(
                    "Plain HTTP on {Address}: for development only; browsers and devices should use {Secure}",
                    plain, secure);
            }
        });
        return app;
    }
}
