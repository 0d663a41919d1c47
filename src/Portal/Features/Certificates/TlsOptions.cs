using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// Section <c>Fleet:Tls</c>: the portal's certificate authority and the server certificate of its HTTPS and MQTTS
/// listeners. Left empty, the portal makes its own CA on first start (in <c>pki/</c> of the data folder) and issues
/// itself a server certificate from it.
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Fleet:Tls";

    /// <summary>
    /// PEM file of an admin-supplied CA that issues the portal's and the devices' certificates, in place of the one the
    /// portal makes: the issuing CA's certificate first, then the certificates above it up to the root (an
    /// intermediate CA keeps its root offline). Needs <see cref="CaKeyFile"/>.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>PEM file (PKCS#8 or the algorithm's own form, unencrypted) of the private key of
    /// <see cref="CaCertificateFile"/>.</summary>
    public string? CaKeyFile { get; set; }

    /// <summary>
    /// PEM file of an admin-supplied server certificate (from an ACME client or a company CA, say), followed by its
    /// chain; replaces the one the portal issues itself. Re-read when it changes, without a restart. Needs
    /// <see cref="KeyFile"/>.
    /// </summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM file of the private key of <see cref="CertificateFile"/> (unencrypted).</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// Host names and IP addresses the server certificate the portal issues itself is valid for, besides the host of
    /// the public URL, this machine's host name, <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>.
    /// </summary>
    public List<string> ServerNames { get; set; } = [];

    /// <summary>Days a server certificate the portal issues itself is valid; it is renewed after two thirds of it.
    /// </summary>
    [Range(2, 825)]
    public int ServerCertificateDays { get; set; } = 90;

    /// <summary>Days a device certificate is valid; the portal renews it (a credential rotation) after two thirds.
    /// </summary>
    [Range(2, 3650)]
    public int DeviceCertificateDays { get; set; } = 365;
}
