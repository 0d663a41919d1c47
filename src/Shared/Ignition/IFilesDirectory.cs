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
