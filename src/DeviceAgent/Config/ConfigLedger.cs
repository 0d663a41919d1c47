using System.Security.Cryptography;

namespace Fleet.DeviceAgent.Config;

/// <summary>
/// What the agent itself wrote, by path and SHA-256. Ignition's <c>overwrite: false</c> protects files the
/// config did not create; a file the agent wrote for an earlier version of the config is its own to
/// replace, so a changed config does not fail on every file Butane left at the default.
/// </summary>
public interface IConfigLedger
{
    bool Wrote(string path, byte[] content);

    void Record(string path, byte[] content);

    /// <summary>Keeps the records (the file-backed ledger writes them to disk).</summary>
    void Save();
}

public sealed class InMemoryConfigLedger : IConfigLedger
{
    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);

    public bool Wrote(string path, byte[] content) => _entries.TryGetValue(path, out var hash) && hash == Hash(content);

    public void Record(string path, byte[] content) => _entries[path] = Hash(content);

    public void Save()
    {
    }

    internal static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    internal Dictionary<string, string> Entries => _entries;
}

/// <summary><c>config-ledger.txt</c> in the state directory: <c>sha256 path</c> per line.</summary>
public sealed class FileConfigLedger : IConfigLedger
{
    private readonly string _file;
    private readonly InMemoryConfigLedger _memory = new();

    public FileConfigLedger(string stateDirectory)
    {
        _file = Path.Combine(stateDirectory, "config-ledger.txt");
        if (File.Exists(_file))
        {
            foreach (var line in File.ReadLines(_file))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space == 64)
                {
                    _memory.Entries[line[(space + 1)..]] = line[..space];
                }
            }
        }
    }

    public bool Wrote(string path, byte[] content) => _memory.Wrote(path, content);

    public void Record(string path, byte[] content) => _memory.Record(path, content);

    public void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var temporary = _file + ".tmp";
        File.WriteAllLines(temporary, _memory.Entries.Select(e => $"{e.Value} {e.Key}"));
        File.Move(temporary, _file, overwrite: true);
    }
}
