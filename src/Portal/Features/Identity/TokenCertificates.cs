using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// The RSA certificates that sign and encrypt tokens, kept as PFX files (mode 0600, folder 0700) in
/// <c>&lt;data&gt;/oidc/</c>. Created self-signed on the first start and reused afterwards, so tokens
/// and refresh tokens survive a restart; a restored backup needs this folder as much as the database.
/// </summary>
internal sealed class TokenCertificates(FleetDataDirectory data, TimeProvider time, ILogger<TokenCertificates> logger) : IDisposable
{
    public const string FolderName = "oidc";
    public const string SigningFileName = "signing.pfx";
    public const string EncryptionFileName = "encryption.pfx";

    /// <summary>Long enough never to expire in service; an expired file is replaced at start (with a warning).</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Lock _lock = new();
    private X509Certificate2? _signing;
    private X509Certificate2? _encryption;

    public string Folder => data.Combine(FolderName);

    public X509Certificate2 Signing
    {
        get
        {
            lock (_lock)
            {
                return _signing ??= LoadOrCreate(SigningFileName, X509KeyUsageFlags.DigitalSignature, "Fleet token signing");
            }
        }
    }

    public X509Certificate2 Encryption
    {
        get
        {
            lock (_lock)
            {
                return _encryption ??= LoadOrCreate(EncryptionFileName, X509KeyUsageFlags.KeyEncipherment, "Fleet token encryption");
            }
        }
    }

    public void Dispose()
    {
        _signing?.Dispose();
        _encryption?.Dispose();
    }

    private X509Certificate2 LoadOrCreate(string fileName, X509KeyUsageFlags usage, string subject)
    {
        var path = Path.Combine(Folder, fileName);
        if (File.Exists(path))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(path, password: null, StorageFlags);
            if (existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
            {
                Tighten(path);
                return existing;
            }

            logger.LogWarning("Token certificate {Path} expired on {NotAfter:u}; creating a new one (tokens signed with the old one are no longer accepted)", path, existing.NotAfter);
            existing.Dispose();
        }

        var pfx = CreateSelfSigned(usage, subject);
        data.WritePrivate(path, pfx);
        logger.LogInformation("Created token certificate {Path}", path);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, StorageFlags);
    }

    private byte[] CreateSelfSigned(X509KeyUsageFlags usage, string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.Add(Validity));
        return certificate.Export(X509ContentType.Pkcs12);
    }

    /// <summary>A file restored from a backup may have come back world-readable.</summary>
    private void Tighten(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~FileMode600) != 0)
        {
            logger.LogWarning("Token certificate {Path} was readable by others; setting mode 0600", path);
            File.SetUnixFileMode(path, FileMode600);
        }
    }

    // Keys stay in memory (nothing written to a user key store); macOS cannot do ephemeral keys.
    private static X509KeyStorageFlags StorageFlags =>
        OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
}
