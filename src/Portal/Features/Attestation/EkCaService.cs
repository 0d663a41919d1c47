using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Attestation;

/// <summary>A trusted TPM manufacturer CA certificate as listed.</summary>
/// <param name="Thumbprint">Lower-case hex SHA-256 of the certificate (DER).</param>
/// <param name="Subject">Subject DN.</param>
/// <param name="Issuer">Issuer DN (the subject again for a root).</param>
/// <param name="Serial">Serial number, hex.</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="IsRoot">Self-signed: a trust anchor. Otherwise an intermediate that must chain to one.</param>
/// <param name="File">The file it was read from.</param>
/// <param name="Uploaded">
/// An Admin uploaded it (the file is <c>{thumbprint}.pem</c> in the folder): it can be removed here.
/// </param>
public sealed record EkCaRow(
    string Thumbprint,
    string Subject,
    string Issuer,
    string Serial,
    DateTimeOffset NotAfter,
    bool IsRoot,
    string File,
    bool Uploaded);

/// <summary>
/// The TPM manufacturer CAs the portal trusts for EK certificates: listed from the folder and bundle
/// (<see cref="AttestationOptions"/>); an Admin adds one (written to the folder) or removes one they added. Audited.
/// </summary>
public sealed class EkCaService(
    EkCertificateVerifier verifier,
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    ILogger<EkCaService> logger)
{
    /// <summary>Largest PEM text accepted in one upload.</summary>
    public const int MaxPemLength = 65_536;

    private const string Forbidden = "Only an Admin may change which TPM manufacturer CAs are trusted.";

    [NoPolicy("read-only: CA certificates are public; the endpoint requires ViewFleet")]
    public IReadOnlyList<EkCaRow> List()
    {
        var rows = new List<EkCaRow>();
        foreach (var file in verifier.Files())
        {
            try
            {
                rows.AddRange(EkCertificateVerifier.Read(file.FullName).Select(c => Row(c, file.FullName)));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                logger.LogDebug("TPM manufacturer CA file {Path} is not listed: {Error}", file.FullName, ex.Message);
            }
        }

        return rows;
    }

    /// <summary>Trusts the CA certificates in <paramref name="pem"/> (one or more; each must be a CA).</summary>
    [RequiresPolicy(Policies.ManageAttestation)]
    public async Task<Outcome<IReadOnlyList<EkCaRow>>> AddAsync(
        string pem, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await authorizer.AllowedAsync(
                actor, Policies.ManageAttestation, "attestation.ek-ca-add", "ek-ca", null, cancellationToken))
        {
            return Outcome.Forbidden(Forbidden);
        }

        if (string.IsNullOrWhiteSpace(pem) || pem.Length > MaxPemLength)
        {
            return Outcome.Invalid("pem", $"PEM certificates, 1-{MaxPemLength} characters");
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            return Outcome.Invalid("pem", $"not PEM certificates: {ex.Message}");
        }

        if (certificates.Count == 0)
        {
            return Outcome.Invalid("pem", "no -----BEGIN CERTIFICATE----- block");
        }

        var leaf = certificates.FirstOrDefault(c => c.Extensions.OfType<X509BasicConstraintsExtension>()
            .FirstOrDefault() is not { CertificateAuthority: true });
        if (leaf is not null)
        {
            return Outcome.Invalid("pem", $"{leaf.Subject} is not a CA certificate (basicConstraints CA:TRUE); "
                + "trust the CA that issued an EK certificate, not the EK certificate");
        }

        Directory.CreateDirectory(verifier.Directory);
        var rows = new List<EkCaRow>();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var certificate in certificates)
        {
            var path = Path.Combine(verifier.Directory, Thumbprint(certificate) + ".pem");
            await File.WriteAllTextAsync(path, certificate.ExportCertificatePem() + "\n", cancellationToken);
            var row = Row(certificate, path);
            rows.Add(row);
            audit.Add(db, actor, "attestation.ek-ca-add", "ek-ca", row.Thumbprint, after: Summary(row));
            logger.LogInformation("TPM manufacturer CA {Subject} ({Thumbprint}) trusted by {Actor}",
                row.Subject, row.Thumbprint, actor.Name);
        }

        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of<IReadOnlyList<EkCaRow>>(rows);
    }

    /// <summary>Stops trusting a CA an Admin uploaded; CAs from other files are removed from those files.</summary>
    [RequiresPolicy(Policies.ManageAttestation)]
    public async Task<Outcome> RemoveAsync(
        string thumbprint, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await authorizer.AllowedAsync(
                actor, Policies.ManageAttestation, "attestation.ek-ca-remove", "ek-ca", thumbprint, cancellationToken))
        {
            return Outcome.Forbidden(Forbidden);
        }

        var row = List()
            .FirstOrDefault(r => string.Equals(r.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase));
        if (row is null)
        {
            return Outcome.NotFound($"No trusted TPM manufacturer CA has the SHA-256 thumbprint {thumbprint}.");
        }

        if (!row.Uploaded)
        {
            return Outcome.Conflict($"{row.Subject} comes from {row.File}; remove it from that file.");
        }

        File.Delete(row.File);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        audit.Add(db, actor, "attestation.ek-ca-remove", "ek-ca", row.Thumbprint, before: Summary(row));
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("TPM manufacturer CA {Subject} ({Thumbprint}) no longer trusted ({Actor})",
            row.Subject, row.Thumbprint, actor.Name);
        return Outcome.Done;
    }

    private EkCaRow Row(X509Certificate2 certificate, string file)
    {
        var thumbprint = Thumbprint(certificate);
        var folder = Path.GetFullPath(verifier.Directory).TrimEnd(Path.DirectorySeparatorChar);
        var uploaded = Path.GetDirectoryName(file) == folder && Path.GetFileName(file) == thumbprint + ".pem";
        return new EkCaRow(thumbprint, certificate.Subject, certificate.Issuer, certificate.SerialNumber,
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
            certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData), file, uploaded);
    }

    private static string Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    private static string Summary(EkCaRow row) =>
        $"{(row.IsRoot ? "root" : "intermediate")} {row.Subject}, issuer {row.Issuer}, serial {row.Serial}, "
            + $"until {row.NotAfter:u}";
}
