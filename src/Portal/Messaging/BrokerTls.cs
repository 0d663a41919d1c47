using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Portal.Messaging;

/// <summary>
/// What the broker's TLS listener presents, and which client certificates it lets through to the CONNECT check. The
/// feature that owns the portal's certificates registers it, as a feature registers the
/// <see cref="IClientAuthenticator"/>: the transport asks, the feature answers.
/// </summary>
/// <param name="ServerCertificate">The certificate and chain to present now (it may be renewed or reloaded).</param>
/// <param name="ClientChainPolicy">The chain policy the handshake checks a client certificate with (null: the default
/// one).</param>
/// <param name="Issued">Whether a client certificate, given the chain the handshake built and its errors, was issued
/// by the portal CA and is valid now.</param>
internal sealed record BrokerTls(
    Func<SslStreamCertificateContext> ServerCertificate,
    Func<X509ChainPolicy?> ClientChainPolicy,
    Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> Issued);
