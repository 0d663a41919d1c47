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

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> readable by the owner only (0600, its folder 0700):
    /// through a temporary file created 0600 and renamed, so it is never readable by others, not even briefly.
    /// </summary>
    public void WritePrivate(string path, ReadOnlySpan<byte> content)
    {
        var folder = System.IO.Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(path, content);
            return;
        }

        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary,
            new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner }))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
