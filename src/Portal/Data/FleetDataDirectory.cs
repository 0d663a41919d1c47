using System.Security.Cryptography;

namespace Fleet.Portal.Data;

/// <summary>
/// The resolved, absolute data directory (<see cref="StorageOptions.DataDirectory"/> against the content
/// root). Features that keep files beside the database (token keys) take it from DI instead of resolving
/// the option again, so there is one rule for where data lives.
/// </summary>
public sealed record FleetDataDirectory(string Path)
{
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// The 256-bit key in <c>keys/<paramref name="name"/></c>, created (mode 0600) on first use. Backed up with the
    /// data folder; losing it invalidates what it signed or derived.
    /// </summary>
    public byte[] Key(string name)
    {
        var path = Combine("keys", name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            try
            {
                var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var file = OperatingSystem.IsWindows()
                    ? new FileStream(path, FileMode.CreateNew, FileAccess.Write)
                    : new FileStream(path, new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner,
                    });
                file.Write(RandomNumberGenerator.GetBytes(32));
                file.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance wrote it first; use theirs.
            }
        }

        return File.ReadAllBytes(path);
    }
}
