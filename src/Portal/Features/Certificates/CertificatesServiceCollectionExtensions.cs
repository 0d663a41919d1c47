namespace Fleet.Portal.Features.Certificates;

internal static class CertificatesServiceCollectionExtensions
{
    /// <summary>The portal CA, the server certificate of the HTTPS and MQTTS listeners, and Kestrel's https
    /// addresses presenting it.</summary>
    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PortalCertificateAuthority>();
        builder.Services.AddSingleton<ServerCertificate>();
        builder.AddHttpsListeners();
        return builder;
    }
}
