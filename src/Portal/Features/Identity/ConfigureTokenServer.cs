using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// The parts of the OpenIddict server that come from Fleet's options and data directory. Runs after the
/// static configuration in <see cref="IdentityServiceCollectionExtensions.AddOidcProvider"/> and before
/// OpenIddict's own checks, which fail the start if no key is present.
/// </summary>
internal sealed class ConfigureTokenServer(IOptions<IdentityProviderOptions> options, TokenCertificates certificates) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var o = options.Value;
        server.AccessTokenLifetime = TimeSpan.FromMinutes(o.AccessTokenLifetimeMinutes);
        server.RefreshTokenLifetime = TimeSpan.FromDays(o.RefreshTokenLifetimeDays);
        if (!string.IsNullOrEmpty(o.Issuer))
        {
            server.Issuer = new Uri(o.Issuer, UriKind.Absolute);
        }

        // What OpenIddict's AddSigningCertificate/AddEncryptionCertificate register, but from a DI service,
        // so the files are read (or created) once the data directory is known, not at registration.
        server.SigningCredentials.Add(new SigningCredentials(new X509SecurityKey(certificates.Signing), SecurityAlgorithms.RsaSha256));
        server.EncryptionCredentials.Add(new EncryptingCredentials(
            new X509SecurityKey(certificates.Encryption), SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
    }
}
