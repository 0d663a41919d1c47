namespace Fleet.Portal.Data;

/// <summary>
/// The portal's claim on its data directory: <c>fleet.lock</c> held open exclusively for the process's life (an
/// <c>flock</c> on Linux, released by the kernel however the process ends). One portal per data directory is the
/// rule (docs/operations.md); holding the claim is also what lets the start-up treat a migration lock row it finds
/// as stale, left by a start that was killed, rather than another portal's.
/// </summary>
public sealed class DataDirectoryLock(FleetDataDirectory directory) : IDisposable
{
    private FileStream? _held;

    public string Path => directory.Combine("fleet.lock");

    /// <summary>Takes the claim; fails with a clear message when another process holds it.</summary>
    public void Acquire()
    {
        if (_held is not null)
        {
            return;
        }

        Directory.CreateDirectory(directory.Path);
        try
        {
            _held = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new StartupRefusedException(
                $"Another Fleet portal is using the data directory {directory.Path} (it holds {Path}); "
                + "run one portal per data directory (Fleet:Storage:DataDirectory).", ex);
        }
    }

    public void Dispose()
    {
        _held?.Dispose();
        _held = null;
    }
}
