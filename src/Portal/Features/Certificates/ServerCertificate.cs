using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Portal.Features.Updates;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// The certificate the portal's HTTPS and MQTTS listeners present, with its chain. The admin's
/// (<see cref="TlsOptions.CertificateFile"/>), re-read when its files change; else one issued by the
/// <see cref="PortalCertificateAuthority"/> for the portal's names, renewed after two thirds of its life. Both are
/// looked at on use, at most every <see cref="CheckInterval"/>: a handshake never waits for the disk.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    /// <summary>How often files and expiry are looked at, at most.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly TlsOptions _options;
    private readonly PortalCertificateAuthority _authority;
    private readonly IReadOnlyList<string> _names;
    private readonly TimeProvider _time;
    private readonly ILogger<ServerCertificate> _logger;
    private readonly Lock _refreshing = new();
    private volatile Presented _current;
    private long _nextCheckTicks;   // UTC ticks, read without the lock
    private (DateTime, long, DateTime, long)? _refusedFiles;   // admin files that failed to load, not tried again

    public ServerCertificate(IOptions<TlsOptions> options, IOptions<UpdateOptions> updates,
        PortalCertificateAuthority authority, TimeProvider time, ILogger<ServerCertificate> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(updates);
        _options = options.Value;
        _authority = authority;
        _time = time;
        _logger = logger;
        _names = NamesOf(_options, updates.Value.PublicBaseUrl);
        if (AdminSupplied)
        {
            if (string.IsNullOrWhiteSpace(_options.KeyFile))
            {
                throw new StartupRefusedException($"{TlsOptions.Section}:KeyFile is required with CertificateFile");
            }

            _current = LoadFiles() ?? throw new StartupRefusedException($"{TlsOptions.Section}:CertificateFile "
                + $"{_options.CertificateFile} (key {_options.KeyFile}) cannot be read");
        }
        else
        {
            _current = Issue();
        }

        _nextCheckTicks = (time.GetUtcNow() + CheckInterval).UtcTicks;
    }

    /// <summary>The names a certificate the portal issues itself is valid for (the first is its subject).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The certificate presented now (with its private key).</summary>
    public X509Certificate2 Certificate => Current.Certificate;

    /// <summary>The certificate presented now with its chain, as a TLS server hands it over.</summary>
    public SslStreamCertificateContext Context => Current.Context;

    private bool AdminSupplied => !string.IsNullOrWhiteSpace(_options.CertificateFile);

    private Presented Current
    {
        get
        {
            var now = _time.GetUtcNow();
            if (now.UtcTicks >= Volatile.Read(ref _nextCheckTicks) && _refreshing.TryEnter())
            {
                try
                {
                    Volatile.Write(ref _nextCheckTicks, (now + CheckInterval).UtcTicks);
                    Refresh(now);
                }
                finally
                {
                    _refreshing.Exit();
                }
            }

            return _current;
        }
    }

    public void Dispose() => _current.Certificate.Dispose();

    private void Refresh(DateTimeOffset now)
    {
        if (AdminSupplied)
        {
            if (Stamp() is var stamp && stamp != _current.Files && stamp != _refusedFiles && LoadFiles() is { } loaded)
            {
                _current = loaded;
                _logger.LogInformation(
                    "Server certificate reloaded from {Path}: {Subject}, serial {Serial}, until {NotAfter:u}",
                    _options.CertificateFile, loaded.Certificate.Subject, loaded.Certificate.SerialNumber,
                    loaded.Certificate.NotAfter.ToUniversalTime());
            }

            return;
        }

        if (now >= _current.RenewAt)
        {
            _current = Issue();
            _logger.LogInformation("Server certificate renewed: serial {Serial}, until {NotAfter:u}",
                _current.Certificate.SerialNumber, _current.Certificate.NotAfter.ToUniversalTime());
        }
    }

    private Presented Issue()
    {
        var lifetime = TimeSpan.FromDays(_options.ServerCertificateDays);
        var certificate = _authority.IssueServerCertificate(_names, lifetime);
        var chain = new X509Certificate2Collection(_authority.Chain);
        return new Presented(certificate, SslStreamCertificateContext.Create(certificate, chain, offline: true),
            _time.GetUtcNow() + lifetime * 2 / 3, null);
    }

    /// <summary>The admin's files; null (logged) while they do not make a certificate with its key.</summary>
    private Presented? LoadFiles()
    {
        var stamp = Stamp();
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(_options.CertificateFile!, _options.KeyFile);
            certificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null,
                X509KeyStorageFlags.EphemeralKeySet);
            X509Certificate2Collection chain = [];
            chain.ImportFromPemFile(_options.CertificateFile!);
            var intermediates = new X509Certificate2Collection(chain.Skip(1).ToArray());
            _refusedFiles = null;
            return new Presented(certificate,
                SslStreamCertificateContext.Create(certificate, intermediates, offline: true), DateTimeOffset.MaxValue,
                stamp);
        }
        catch (Exception ex)
            when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // An ACME client may be halfway through writing them: the next change is tried again.
            _refusedFiles = stamp;
            _logger.LogWarning("Server certificate {Path} (key {KeyPath}) not loaded, the previous one stays: {Error}",
                _options.CertificateFile, _options.KeyFile, ex.Message);
            return null;
        }
    }

    private (DateTime, long, DateTime, long) Stamp()
    {
        var certificate = new FileInfo(_options.CertificateFile!);
        var key = new FileInfo(_options.KeyFile!);
        return (certificate.Exists ? certificate.LastWriteTimeUtc : default,
            certificate.Exists ? certificate.Length : -1,
            key.Exists ? key.LastWriteTimeUtc : default,
            key.Exists ? key.Length : -1);
    }

    private static List<string> NamesOf(TlsOptions options, string? publicUrl)
    {
        List<string> names = [];
        if (Uri.TryCreate(publicUrl, UriKind.Absolute, out var url))
        {
            names.Add(url.IdnHost);
        }

        names.AddRange(options.ServerNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()));
        names.AddRange([Environment.MachineName.ToLowerInvariant(), "localhost", "127.0.0.1", "::1"]);
        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private sealed record Presented(X509Certificate2 Certificate, SslStreamCertificateContext Context,
        DateTimeOffset RenewAt, (DateTime, long, DateTime, long)? Files);
}
