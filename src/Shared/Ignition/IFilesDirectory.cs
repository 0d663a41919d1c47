namespace Fleet.Shared.Ignition;

/// <summary>
/// Butane's <c>--files-dir</c>: where <c>local:</c> sources (file contents, trees, unit contents, SSH keys,
/// merged configs) are read from. Paths are relative, '/'-separated and never leave the directory.
/// </summary>
public interface IFilesDirectory
{
    /// <summary>Reads the file at <paramref name="relativePath"/>; false when it does not exist.</summary>
    bool TryRead(string relativePath, out byte[] content);

    /// <summary>
    /// Lists the regular files below the directory <paramref name="relativePath"/>, recursively, as relative
    /// paths from the files-dir root; null when the directory does not exist. Needed for <c>storage.trees</c>.
    /// </summary>
    IReadOnlyList<string>? ListFiles(string relativePath) => null;

    /// <summary>True when the file is executable (a tree file then gets mode 0755 instead of 0644).</summary>
    bool IsExecutable(string relativePath) => false;
}

/// <summary>A files directory on disk (Butane's <c>--files-dir</c>); reads never leave <paramref name="root"/>.</summary>
/// <param name="root">The directory <c>local:</c> paths are relative to.</param>
public sealed class PhysicalFilesDirectory(string root) : IFilesDirectory
{
    private readonly string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    /// <inheritdoc />
    public bool TryRead(string relativePath, out byte[] content)
    {
        content = [];
        if (Resolve(relativePath) is not { } full || !File.Exists(full))
        {
            return false;
        }

        content = File.ReadAllBytes(full);
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<string>? ListFiles(string relativePath)
    {
        var directory = relativePath is "." or "" ? root : Resolve(relativePath);
        if (directory is null || !Directory.Exists(directory))
        {
            return null;
        }

        var found = new List<string>();
        Walk(directory, found);
        return found;
    }

    /// <inheritdoc />
    public bool IsExecutable(string relativePath) =>
        !OperatingSystem.IsWindows() && Resolve(relativePath) is { } full && File.Exists(full)
        && (File.GetUnixFileMode(full) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    // Go's filepath.Walk order: entries of each directory sorted by name, depth first.
    private void Walk(string directory, List<string> found)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(entry))
            {
                Walk(entry, found);
            }
            else if (File.Exists(entry))
            {
                found.Add(Path.GetRelativePath(root, entry).Replace('\\', '/'));
            }
        }
    }

    private string? Resolve(string relativePath)
    {
        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }
}

/// <summary>A files directory held in memory (e.g. files a person uploaded with a config).</summary>
/// <param name="files">Contents by relative '/'-separated path.</param>
/// <param name="executables">Paths whose tree entries get mode 0755.</param>
public sealed class InMemoryFilesDirectory(IReadOnlyDictionary<string, byte[]> files, IReadOnlySet<string>? executables = null) : IFilesDirectory
{
    /// <inheritdoc />
    public bool TryRead(string relativePath, out byte[] content)
    {
        var found = files.TryGetValue(relativePath, out var bytes);
        content = bytes ?? [];
        return found;
    }

    /// <inheritdoc />
    public IReadOnlyList<string>? ListFiles(string relativePath)
    {
        var prefix = relativePath is "." or "" ? "" : relativePath.TrimEnd('/') + "/";
        var listed = files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        return listed.Count == 0 ? null : listed;
    }

    /// <inheritdoc />
    public bool IsExecutable(string relativePath) => executables?.Contains(relativePath) == true;
}
