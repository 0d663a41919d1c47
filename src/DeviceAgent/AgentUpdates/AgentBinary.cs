using System.Runtime.InteropServices;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// The agent binary and the two files beside it: <c>.new</c> (a download) and <c>.previous</c> (the build it
/// replaced, kept for the restorer). Every replacement is a rename in the same folder after the bytes are on disk, and
/// the folder is synced after it, so a power cut leaves the old file or the new one, never half of one.
/// </summary>
internal sealed partial class AgentBinary(string path)
{
    /// <summary>rwxr-xr-x, as Ignition installs the agent.</summary>
    public const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>O_RDONLY: enough to fsync a folder (O_DIRECTORY's value differs between architectures).</summary>
    private const int ReadOnlyDirectory = 0;

    // Checked in every method: the platform analyzer follows guards within a method only.
    private const string LinuxOnly = "The agent replaces itself on Linux only.";

    public string Path { get; } = path;

    public string New => Path + ".new";

    public string Previous => Path + ".previous";

    private string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> (mode 0755) atomically.</summary>
    public void CopyAtomically(string source, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(LinuxOnly);
        }
        var temporary = target + ".tmp";
        File.Delete(temporary);
        using (var from = File.OpenRead(source))
        using (var to = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = Mode755,
        }))
        {
            from.CopyTo(to);
            to.Flush(flushToDisk: true);
        }

        MoveAtomically(temporary, target);
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="target"/> (mode 0755) and syncs the folder.
    /// </summary>
    public void MoveAtomically(string source, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(LinuxOnly);
        }
        File.SetUnixFileMode(source, Mode755);
        File.Move(source, target, overwrite: true);
        SyncDirectory();
    }

    /// <summary>Opens <see cref="New"/> (0600 until it is checked) to write a download into, or to continue one.
    /// </summary>
    public FileStream OpenNew(bool append)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(LinuxOnly);
        }
        return new FileStream(New, new FileStreamOptions
        {
            Mode = append ? FileMode.Append : FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    /// <summary>Makes <see cref="New"/> executable (0755), once checked, to run it.</summary>
    public void MakeNewExecutable()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(LinuxOnly);
        }
        File.SetUnixFileMode(New, Mode755);
    }

    /// <summary>Makes the folder's entries (a rename) durable: <c>fsync</c> on the folder itself.</summary>
    private void SyncDirectory()
    {
        var descriptor = Open(Directory, ReadOnlyDirectory);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open {Directory} to sync it: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"fsync of {Directory} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
