namespace Fleet.DeviceAgent.State;

/// <summary>
/// A file that holds a credential: created 0600 in a 0700 directory, and replaced atomically (a temporary file
/// flushed to disk, then renamed) so a power cut during a write leaves the old or the new content, never half of one.
/// </summary>
internal static class PrivateFile
{
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite
        | UnixFileMode.UserExecute;

    public static async Task WriteAsync(
        string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The agent keeps its credentials with Unix file modes.");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, DirectoryMode700);
        }

        var temporary = path + ".tmp";
        File.Delete(temporary); // a leftover from a crash may have another mode; CreateNew below sets ours
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = FileMode600,
        };
        await using (var stream = new FileStream(temporary, fileOptions))
        {
            await write(stream, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        // The umask can narrow UnixCreateMode but never widen it; set it explicitly anyway so an
        // existing file replaced by rename always ends up 0600.
        File.SetUnixFileMode(temporary, FileMode600);
        File.Move(temporary, path, overwrite: true);
    }
}
