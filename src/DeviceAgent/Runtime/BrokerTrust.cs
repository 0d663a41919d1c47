using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// What the agent trusts the broker's certificate to chain to: the portal CA chain from
/// <see cref="AgentOptions.CaCertificateFile"/>, else the chain saved in the state folder (<see cref="FileName"/>),
/// else a pinned SHA-256 of the issuing CA (<see cref="AgentOptions.CaFingerprint"/>) compared with the chain the
/// broker presents, which is saved once it matched. Nothing else: no system CAs, no trust on first use.
/// </summary>
public sealed class BrokerTrust
{
    /// <summary>The CA chain saved in the state folder after a pinned connection.</summary>
    public const string FileName = "ca.pem";

    private readonly string _savedPath;
    private readonly string? _pin;
    private readonly ILogger _logger;
    private volatile X509Certificate2Collection? _anchors;

    private BrokerTrust(X509Certificate2Collection? anchors, string? pin, string savedPath, ILogger logger)
    {
        (_anchors, _pin, _savedPath, _logger) = (anchors, pin, savedPath, logger);
    }

    /// <summary>
    /// The trust <paramref name="options"/> give; null with <see cref="AgentOptions.PlainMqtt"/>. Throws
    /// <see cref="InvalidOperationException"/>, naming the options, when they give none or the CA file is unusable.
    /// </summary>
    public static BrokerTrust? From(AgentOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.PlainMqtt)
        {
            return null;
        }

        var saved = Path.Combine(options.StateDirectory, FileName);
        var pin = options.CaFingerprint is { Length: > 0 } given
            ? given.Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant()
            : null;
        if (!string.IsNullOrWhiteSpace(options.CaCertificateFile))
        {
            return new(Read(options.CaCertificateFile, "Agent:CaCertificateFile"), pin, saved, logger);
        }

        if (File.Exists(saved))
        {
            return new(Read(saved, $"the saved CA chain {saved}"), pin, saved, logger);
        }

        return pin is not null
            ? new(null, pin, saved, logger)
            : throw new InvalidOperationException(Problem(options));
    }

    /// <summary>Why <paramref name="options"/> give no trust for the broker's certificate; null when they do.</summary>
    public static string? Problem(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.PlainMqtt || !string.IsNullOrWhiteSpace(options.CaCertificateFile)
            || !string.IsNullOrWhiteSpace(options.CaFingerprint)
            || File.Exists(Path.Combine(options.StateDirectory, FileName))
            ? null
            : NoTrust;
    }

    /// <summary>What <see cref="Problem"/> says when nothing is trusted.</summary>
    public const string NoTrust =
        "No trust for the broker's TLS certificate: set Agent:CaCertificateFile (the portal CA chain, as agent.env "
        + "gives it) or Agent:CaFingerprint (the SHA-256 of the portal's issuing CA, shown on its Certificates page); "
        + "Agent:PlainMqtt=true connects without TLS";

    /// <summary>
    /// The CA chain the TLS stack checks the broker's certificate against by itself, in the one chain it builds for
    /// the handshake: the trusted chain when it ends at a root (a self-signed CA), as the portal's own CA chain does;
    /// null before a pin has matched, or for a chain without its root, which <see cref="Validate"/> checks itself.
    /// </summary>
    public X509Certificate2Collection? TrustChain =>
        _anchors is { } anchors && anchors.Any(a => a.SubjectName.RawData.AsSpan().SequenceEqual(a.IssuerName.RawData))
            ? anchors
            : null;

    /// <summary>Whether the broker's certificate is trusted; logs why not. For MQTTnet's validation handler.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is not X509Certificate2 leaf)
        {
            _logger.LogError("The broker presented no TLS certificate");
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            _logger.LogError(
                "The broker's TLS certificate ({Subject}) is not valid for the host name Agent:BrokerHost names",
                leaf.Subject);
            return false;
        }

        var others = new X509Certificate2Collection();
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    others.Add(element.Certificate);
                }
            }
        }

        if (_anchors is { } anchors)
        {
            // Built against TrustChain by the TLS stack, and ending at one of the anchors: nothing left to check.
            if (errors == SslPolicyErrors.None && presented is { ChainElements.Count: > 1 }
                && IsAnchor(presented.ChainElements[^1].Certificate, anchors))
            {
                return true;
            }

            if (Chains(leaf, anchors, others))
            {
                return true;
            }

            _logger.LogError(
                "The broker's TLS certificate ({Subject}, issued by {Issuer}) does not chain to the portal CA this "
                + "agent trusts", leaf.Subject, leaf.Issuer);
            return false;
        }

        return Pinned(leaf, others);
    }

    /// <summary>
    /// First contact with a pin: the presented chain must hold the pinned CA, and the leaf chain to it.
    /// </summary>
    private bool Pinned(X509Certificate2 leaf, X509Certificate2Collection others)
    {
        var match = others.FirstOrDefault(c =>
            Convert.ToHexStringLower(c.GetCertHash(HashAlgorithmName.SHA256)) == _pin);
        if (match is null || !Chains(leaf, [match], others))
        {
            _logger.LogError(
                "The broker's TLS certificate chain does not contain the CA pinned by Agent:CaFingerprint {Pin} "
                + "(presented CAs: {Presented}); refusing the connection",
                _pin,
                string.Join(
                    ", ",
                    others.Select(c => Convert.ToHexStringLower(c.GetCertHash(HashAlgorithmName.SHA256)))));
            return false;
        }

        var chain = new X509Certificate2Collection();
        foreach (var certificate in others)
        {
            if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
            {
                chain.Add(certificate);
            }
        }

        try
        {
            DurableFile.Write(_savedPath, System.Text.Encoding.ASCII.GetBytes(
                string.Concat(chain.Select(c => c.ExportCertificatePem() + "\n"))));
            _logger.LogInformation(
                "The broker's CA matches the pinned fingerprint; its chain is saved in {Path} and trusted from now on",
                _savedPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Could not save the broker's CA chain in {Path}: {Error}", _savedPath, ex.Message);
        }

        _anchors = chain;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="leaf"/> chains to one of <paramref name="anchors"/>, valid now and for TLS servers. An
    /// anchor need not be a root: a partial chain ending at the portal's issuing CA is what counts.
    /// </summary>
    private static bool Chains(X509Certificate2 leaf, X509Certificate2Collection anchors,
        X509Certificate2Collection others)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.ExtraStore.AddRange(anchors);
        chain.ChainPolicy.ExtraStore.AddRange(others);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        if (!chain.Build(leaf) && chain.ChainStatus.Any(s => s.Status != X509ChainStatusFlags.UntrustedRoot
            && s.Status != X509ChainStatusFlags.PartialChain))
        {
            return false;
        }

        // With AllowUnknownCertificateAuthority the chain must still end at, or pass through, an anchor.
        return chain.ChainElements.Skip(1).Any(e => IsAnchor(e.Certificate, anchors));
    }

    private static bool IsAnchor(X509Certificate2 certificate, X509Certificate2Collection anchors) =>
        anchors.Any(a => a.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span));

    private static X509Certificate2Collection Read(string path, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"{what} {path} cannot be read: {ex.Message}", ex);
        }

        return certificates.Count > 0
            ? certificates
            : throw new InvalidOperationException($"{what} {path} holds no PEM certificate");
    }
}
