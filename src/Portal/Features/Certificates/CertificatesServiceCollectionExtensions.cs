namespace Fleet.Portal.Features.Certificates;

internal static class CertificatesServiceCollectionExtensions
{
    /// <summary>The portal CA, the server certificate of the HTTPS and MQTTS listeners, and Kestrel's https
    /// addresses presenting it.</summary>
    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();

        // The broker's MQTTS listener presents the server certificate and lets through client certificates of the CA.
        builder.Services.AddSingleton(sp =>
        {
            var authority = sp.GetRequiredService<PortalCertificateAuthority>();
            return new Messaging.BrokerTls(
                () => sp.GetRequiredService<ServerCertificate>().Context,
                authority.ClientChainPolicy,
                authority.Issued);
        });
        builder.Services.AddSingleton<PortalCertificateAuthority>();
        builder.Services.AddSingleton<ServerCertificate>();
        builder.AddHttpsListeners();
        return builder;
    }
}
