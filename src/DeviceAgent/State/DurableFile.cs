namespace Fleet.DeviceAgent.State;

/// <summary>
/// Replaces a file so that a power cut leaves either the old or the new content, never half of it: the bytes go to
/// a temporary file beside it, are flushed to the disk, and the temporary file is renamed over the target. The file
/// is 0600 in a 0700 directory (created when missing): the agent's files hold its credentials.
/// </summary>
internal static class DurableFile
{
    public const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode DirectoryMode700 = Mode600 | UnixFileMode.UserExecute;

    public const string TemporarySuffix = ".tmp";

    /// <summary>Creates <paramref name="directory"/> 0700 (the agent's state is its own) unless it exists (its mode is
    /// then left as it is).</summary>
    public static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The agent keeps its state with Unix file modes.");
        }

        Directory.CreateDirectory(directory, DirectoryMode700);
    }

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        // Checked here as well: the analyzer follows platform guards within a method only.
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The agent keeps its state with Unix file modes.");
        }

        CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + TemporarySuffix;
        File.Delete(temporary); // a leftover from a crash may have another mode; CreateNew below sets ours
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = Mode600,
        };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        // The umask can narrow UnixCreateMode but never widen it; set it explicitly anyway so an
        // existing file replaced by rename always ends up 0600.
        File.SetUnixFileMode(temporary, Mode600);
        File.Move(temporary, path, overwrite: true);
    }
}
