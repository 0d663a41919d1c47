using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Attestation;

/// <summary>What the portal found an EK certificate to be.</summary>
/// <param name="Issuer">The certificate's issuer DN; null when there was no certificate or it did not parse.</param>
/// <param name="Serial">The certificate's serial number, hex as printed by OpenSSL (upper case, no colons).</param>
/// <param name="Problem">Why the EK is not vouched for by a trusted TPM maker; null when it is.</param>
/// <param name="KeyMismatch">The certificate is for another key than the EK presented.</param>
internal sealed record EkCertificateCheck(string? Issuer, string? Serial, string? Problem, bool KeyMismatch = false)
{
    /// <summary>Longest stored issuer, serial and problem (longer ones are cut).</summary>
    public const int MaxIssuer = 512, MaxSerial = 64, MaxProblem = 1024;

    public bool Verified => Problem is null;
}

/// <summary>The trusted TPM manufacturer CAs: self-signed roots are trust anchors, the rest intermediates.</summary>
internal sealed record EkTrustAnchors(X509Certificate2Collection Roots, X509Certificate2Collection Intermediates)
{
    public static readonly EkTrustAnchors Empty = new([], []);
}

/// <summary>
/// Checks an EK certificate: its key is the EK presented, and it chains to a trusted TPM manufacturer CA
/// (<see cref="AttestationOptions.EkCaDirectory"/>, <see cref="AttestationOptions.EkCaBundle"/>). The CA files are
/// read again when one changes. No revocation check: the portal may run without internet access, and TPM makers'
/// CRLs are seldom reachable; a person revokes a device in the portal instead.
/// </summary>
public sealed class EkCertificateVerifier(
    IOptions<AttestationOptions> options, FleetDataDirectory data, ILogger<EkCertificateVerifier> logger)
{
    /// <summary>
    /// The extensions an EK certificate may carry as critical (TCG EK Credential Profile §3.2): subjectAltName (TPM
    /// manufacturer, model and version as directoryName attributes), subjectDirectoryAttributes (TPM specification,
    /// security assertions), basicConstraints, keyUsage, extKeyUsage, certificatePolicies.
    /// </summary>
    private static readonly HashSet<string> TcgCriticalExtensions =
        new(["2.5.29.17", "2.5.29.9", "2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.32"], StringComparer.Ordinal);

    private static readonly string[] Extensions = [".pem", ".crt", ".cer", ".der"];

    private readonly Lock _lock = new();
    private string _signature = string.Empty;
    private EkTrustAnchors _anchors = EkTrustAnchors.Empty;

    /// <summary>The folder the trusted CA files are read from (and uploads written to).</summary>
    public string Directory => Path.Combine(data.Path, options.Value.EkCaDirectory);

    private string? Bundle =>
        options.Value.EkCaBundle is { Length: > 0 } bundle ? Path.Combine(data.Path, bundle) : null;

    internal EkCertificateCheck Check(CheckedEvidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return Check(evidence.EkCertificate, evidence.Ek, Anchors(), now);
    }

    /// <summary>The trusted CAs, read again when a file in the folder or the bundle changed.</summary>
    internal EkTrustAnchors Anchors()
    {
        var files = Files();
        var signature = string.Join('\n', files.Select(f => $"{f.FullName}|{f.Length}|{f.LastWriteTimeUtc.Ticks}"));
        lock (_lock)
        {
            if (signature == _signature)
            {
                return _anchors;
            }

            // The previous collections are left to the collector: a chain may still be built from them.
            _anchors = Load(files);
            if (Bundle is { } bundle && !File.Exists(bundle))
            {
                logger.LogWarning("Fleet:Attestation:EkCaBundle names {Path}, which does not exist", bundle);
            }

            _signature = signature;
            logger.LogInformation(
                "Trusting {Roots} TPM manufacturer root and {Intermediates} intermediate CA certificates from "
                    + "{Directory}{Bundle}",
                _anchors.Roots.Count,
                _anchors.Intermediates.Count,
                Directory,
                Bundle is null ? string.Empty : $" and {Bundle}");
            return _anchors;
        }
    }

    /// <summary>The check without files: what <paramref name="der"/> says about <paramref name="ek"/>.</summary>
    internal static EkCertificateCheck Check(byte[]? der, TpmPublicKey ek, EkTrustAnchors anchors, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ek);
        ArgumentNullException.ThrowIfNull(anchors);
        if (der is null)
        {
            return new EkCertificateCheck(null, null, "the TPM has no EK certificate");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            return new EkCertificateCheck(null, null, $"the EK certificate does not parse: {ex.Message}");
        }

        using (certificate)
        {
            var (issuer, serial) = (certificate.Issuer, certificate.SerialNumber);
            TpmPublicKey key;
            try
            {
                key = TpmPublicKey.From(certificate.PublicKey);
            }
            catch (Exception ex) when (ex is CryptographicException or TpmFormatException)
            {
                return new EkCertificateCheck(
                    issuer, serial, $"the EK certificate's key is not usable: {ex.Message}", KeyMismatch: true);
            }

            if (!key.SameKeyAs(ek))
            {
                return new EkCertificateCheck(
                    issuer,
                    serial,
                    $"the EK certificate is for another key ({key.Algorithm}), not the EK presented",
                    KeyMismatch: true);
            }

            if (anchors.Roots.Count == 0)
            {
                return new EkCertificateCheck(
                    issuer, serial, $"issuer {issuer}: no TPM manufacturer CA is trusted yet");
            }

            var failures = ChainFailures(certificate, anchors, now);
            return failures.Count == 0
                ? new EkCertificateCheck(issuer, serial, null)
                : new EkCertificateCheck(issuer, serial,
                    $"issuer {issuer}: does not chain to a trusted TPM manufacturer CA "
                        + $"({string.Join("; ", failures)})");
        }
    }

    /// <summary>
    /// What is wrong with the chain, as X509Chain says; empty when it verifies. An unsupported critical extension
    /// on the EK certificate itself is not a failure when every critical extension it has is one the TCG EK
    /// Credential Profile defines: the portal reads none of them to decide, and OpenSSL 3.0 (Debian 12, RHEL 9)
    /// does not know subjectDirectoryAttributes, which some makers mark critical. OpenSSL does handle the critical
    /// subjectAltName with TPM attributes (swtpm's certificates verify without this exception). Anything else
    /// critical and unknown still fails.
    /// </summary>
    private static List<string> ChainFailures(X509Certificate2 certificate, EkTrustAnchors anchors, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors.Roots);
        chain.ChainPolicy.ExtraStore.AddRange(anchors.Intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        try
        {
            chain.Build(certificate);
            var failures = new List<string>();
            var onlyTcgCritical = certificate.Extensions.Where(e => e.Critical)
                .All(e => TcgCriticalExtensions.Contains(e.Oid?.Value ?? string.Empty));
            for (var i = 0; i < chain.ChainElements.Count; i++)
            {
                foreach (var status in chain.ChainElements[i].ChainElementStatus)
                {
                    if (i == 0 && status.Status == X509ChainStatusFlags.HasNotSupportedCriticalExtension
                        && onlyTcgCritical)
                    {
                        continue;
                    }

                    failures.Add($"{status.Status}: {status.StatusInformation.Trim()}");
                }
            }

            var unanchored = chain.ChainStatus
                .Any(s => s.Status is X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot);
            if (failures.Count == 0 && unanchored)
            {
                failures.AddRange(chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
            }

            return failures;
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    /// <summary>The CA files read, in order: the folder's (by name), then the bundle.</summary>
    internal List<FileInfo> Files()
    {
        var files = new List<FileInfo>();
        var folder = new DirectoryInfo(Directory);
        if (folder.Exists)
        {
            files.AddRange(folder.EnumerateFiles()
                .Where(f => Extensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f.Name, StringComparer.Ordinal));
        }

        if (Bundle is { } bundle && File.Exists(bundle))
        {
            files.Add(new FileInfo(bundle));
        }

        return files;
    }

    private EkTrustAnchors Load(List<FileInfo> files)
    {
        var roots = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (var file in files)
        {
            try
            {
                foreach (var certificate in Read(file.FullName))
                {
                    var selfSigned = certificate.SubjectName.RawData.AsSpan()
                        .SequenceEqual(certificate.IssuerName.RawData);
                    (selfSigned ? roots : intermediates).Add(certificate);
                }
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("TPM manufacturer CA file {Path} is skipped: {Error}", file.FullName, ex.Message);
            }
        }

        return new EkTrustAnchors(roots, intermediates);
    }

    /// <summary>Every certificate in a PEM file (bundles welcome), or the one in a DER file.</summary>
    internal static X509Certificate2Collection Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        var collection = new X509Certificate2Collection();
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            collection.ImportFromPem(text);
        }
        else
        {
            collection.Add(X509CertificateLoader.LoadCertificate(bytes));
        }

        return collection;
    }
}
