using System.Text;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// <c>GET /pki/ca.pem</c>: the portal CA chain (<see cref="PortalCertificateAuthority.ChainPem"/>), anonymous: it is
/// public, and a machine or browser being set up has no credential yet. Whoever fetches it over an unverified
/// connection checks it against <see cref="PortalCertificateAuthority.Fingerprint"/> from the portal's Configs page.
/// </summary>
internal static class CertificateEndpoints
{
    public const string CaPath = "/pki/ca.pem";

    /// <summary>The media type of a PEM certificate chain (RFC 7468 names none; this is what tools expect).</summary>
    public const string PemMediaType = "application/x-pem-file";

    public static IEndpointRouteBuilder MapCertificateEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(CaPath, (PortalCertificateAuthority authority) =>
                TypedResults.Text(authority.ChainPem, PemMediaType, Encoding.ASCII))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
