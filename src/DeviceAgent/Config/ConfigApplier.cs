using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Config;

/// <summary>
/// Applies, or only checks, the part of an Ignition config that is safe on a booted image-based host:
/// files, directories and links under /etc, /var and home directories, systemd units and drop-ins, and
/// users' SSH keys. Every entry gets its own result and its own try/catch, so one bad entry does not stop
/// the others. Paths are taken under <see cref="Root"/>, so tests apply into a temporary directory.
/// </summary>
public sealed partial class ConfigApplier(string root, ContentFetcher fetcher, IUnitManager units, IConfigLedger ledger)
{
    private const int DefaultFileMode = 420; // 0644
    private const int DefaultDirectoryMode = 493; // 0755

    private readonly UserDatabase _users = new(root);

    public string Root { get; } = root;

    /// <summary>Applies <paramref name="config"/> (<paramref name="apply"/>) or reports how the host differs from it.</summary>
    public async Task<IReadOnlyList<ConfigEntryResult>> RunAsync(IgnitionConfig config, bool apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var results = new List<ConfigEntryResult>(config.Problems);
        foreach (var directory in config.Directories)
        {
            results.Add(await GuardAsync(ConfigEntryKind.Directory, directory.Path, () => DirectoryAsync(directory, apply)));
        }

        foreach (var file in config.Files)
        {
            results.Add(await GuardAsync(ConfigEntryKind.File, file.Path, () => FileAsync(file, apply, cancellationToken)));
        }

        foreach (var link in config.Links)
        {
            results.Add(await GuardAsync(ConfigEntryKind.Link, link.Path, () => LinkAsync(link, apply)));
        }

        results.AddRange(await UnitsAsync(config.Units, apply, cancellationToken));
        foreach (var user in config.Users)
        {
            results.Add(await GuardAsync(ConfigEntryKind.SshKeys, user.Name, () => SshKeysAsync(user, apply)));
        }

        results.AddRange(config.NeedsReinstall);
        if (apply)
        {
            ledger.Save();
        }

        return results;
    }

    /// <summary>The path of <paramref name="absolute"/> under the root.</summary>
    public string HostPath(string absolute) => Path.Combine(Root, absolute.TrimStart('/'));

    /// <summary>Why live config may not write <paramref name="path"/>, or null when it may.</summary>
    public static string? Refuse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Split('/').Skip(1).Any(s => s is "" or "." or ".."))
        {
            return $"{path} is not an absolute, clean path";
        }

        string[] writable = ["/etc/", "/var/", "/home/", "/root/"];
        return writable.Any(p => path.StartsWith(p, StringComparison.Ordinal))
            ? null
            : $"{path} is outside /etc, /var and home directories: read-only on an image-based host (needs a new image or a reinstall)";
    }

    private static async Task<ConfigEntryResult> GuardAsync(ConfigEntryKind kind, string target, Func<Task<ConfigEntryResult>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or HttpRequestException or InvalidOperationException or TaskCanceledException or TimeoutException or Updates.ToolNotFoundException)
        {
            return new ConfigEntryResult(kind, target, ConfigEntryOutcome.Failed, ex.Message);
        }
    }

    private static ConfigEntryResult Result(ConfigEntryKind kind, string target, List<string> differences, bool apply, string? blocked, Action fix)
    {
        if (differences.Count == 0)
        {
            return new(kind, target, ConfigEntryOutcome.Unchanged);
        }

        var detail = string.Join("; ", differences);
        if (!apply)
        {
            return new(kind, target, ConfigEntryOutcome.Drifted, detail);
        }

        if (blocked is not null)
        {
            return new(kind, target, ConfigEntryOutcome.Failed, $"{detail}: {blocked}");
        }

        fix();
        return new(kind, target, ConfigEntryOutcome.Applied, detail);
    }

    private async Task<ConfigEntryResult> FileAsync(FileEntry file, bool apply, CancellationToken cancellationToken)
    {
        if (Refuse(file.Path) is { } refused)
        {
            return new(ConfigEntryKind.File, file.Path, ConfigEntryOutcome.Failed, refused);
        }

        byte[]? desired = null;
        if (file.Contents?.Source is not null || file.Append.Count > 0)
        {
            using var buffer = new MemoryStream();
            foreach (var source in new[] { file.Contents }.Concat(file.Append).OfType<ContentSource>().Where(s => s.Source is not null))
            {
                buffer.Write(await fetcher.FetchAsync(source, cancellationToken));
            }

            desired = buffer.ToArray();
        }

        var full = HostPath(file.Path);
        var (uid, gid) = ResolveOwner(file.User, file.Group);
        var node = Node.Of(full);
        var differences = new List<string>();
        string? blocked = null;
        byte[]? current = null;
        switch (node.Kind)
        {
            case NodeKind.Directory:
                return new(ConfigEntryKind.File, file.Path, apply ? ConfigEntryOutcome.Failed : ConfigEntryOutcome.Drifted, "a directory is at the path");
            case NodeKind.Symlink:
                differences.Add($"a link to {node.LinkTarget} is at the path");
                blocked = file.Overwrite ? null : "overwrite is false";
                break;
            case NodeKind.File:
                current = File.ReadAllBytes(full);
                if (desired is not null && !current.AsSpan().SequenceEqual(desired))
                {
                    differences.Add("contents differ");
                    blocked = file.Overwrite || ledger.Wrote(file.Path, current) ? null : "it exists with other contents and overwrite is false";
                }

                CompareModeAndOwner(full, file.Mode, uid, gid, differences);
                break;
            default:
                differences.Add("missing");
                break;
        }

        return Result(ConfigEntryKind.File, file.Path, differences, apply, blocked, () =>
        {
            if (desired is not null || node.Kind != NodeKind.File)
            {
                var content = desired ?? [];
                WriteAtomically(full, content, file.Mode ?? DefaultFileMode, uid, gid);
                ledger.Record(file.Path, content);
            }
            else
            {
                SetModeAndOwner(full, file.Mode, uid, gid);
            }
        });
    }

    private Task<ConfigEntryResult> DirectoryAsync(DirectoryEntry directory, bool apply)
    {
        if (Refuse(directory.Path) is { } refused)
        {
            return Task.FromResult(new ConfigEntryResult(ConfigEntryKind.Directory, directory.Path, ConfigEntryOutcome.Failed, refused));
        }

        var full = HostPath(directory.Path);
        var (uid, gid) = ResolveOwner(directory.User, directory.Group);
        var node = Node.Of(full);
        var differences = new List<string>();
        string? blocked = null;
        if (node.Kind == NodeKind.Directory)
        {
            CompareModeAndOwner(full, directory.Mode, uid, gid, differences);
        }
        else if (node.Kind == NodeKind.Missing)
        {
            differences.Add("missing");
        }
        else
        {
            differences.Add($"a {node.Kind.ToString().ToLowerInvariant()} is at the path");
            blocked = directory.Overwrite ? null : "overwrite is false";
        }

        return Task.FromResult(Result(ConfigEntryKind.Directory, directory.Path, differences, apply, blocked, () =>
        {
            if (node.Kind is NodeKind.File or NodeKind.Symlink)
            {
                File.Delete(full);
            }

            CreateDirectories(full);
            SetModeAndOwner(full, directory.Mode ?? (node.Kind == NodeKind.Directory ? null : DefaultDirectoryMode), uid, gid);
        }));
    }

    private Task<ConfigEntryResult> LinkAsync(LinkEntry link, bool apply)
    {
        if (Refuse(link.Path) is { } refused)
        {
            return Task.FromResult(new ConfigEntryResult(ConfigEntryKind.Link, link.Path, ConfigEntryOutcome.Failed, refused));
        }

        var full = HostPath(link.Path);
        var (uid, gid) = ResolveOwner(link.User, link.Group);
        var node = Node.Of(full);
        var differences = new List<string>();
        NodeStat? target = null;
        if (link.Hard)
        {
            target = Native.Stat(HostPath(link.Target)) ?? throw new IOException($"hard link target {link.Target} does not exist");
            var same = node.Kind == NodeKind.File && Native.Stat(full) is { } stat && stat.Inode == target.Value.Inode && stat.Device == target.Value.Device;
            if (!same)
            {
                differences.Add(node.Kind == NodeKind.Missing ? "missing" : $"not a hard link to {link.Target}");
            }
        }
        else if (node.Kind == NodeKind.Symlink && node.LinkTarget == link.Target)
        {
            CompareModeAndOwner(full, null, uid, gid, differences);
        }
        else
        {
            differences.Add(node.Kind switch
            {
                NodeKind.Missing => "missing",
                NodeKind.Symlink => $"points to {node.LinkTarget}",
                _ => $"a {node.Kind.ToString().ToLowerInvariant()} is at the path",
            });
        }

        var blocked = node.Kind == NodeKind.Directory ? "a directory is at the path"
            : node.Kind != NodeKind.Missing && !link.Overwrite && differences.Count > 0 ? "overwrite is false"
            : null;
        return Task.FromResult(Result(ConfigEntryKind.Link, link.Path, differences, apply, blocked, () =>
        {
            CreateDirectories(Path.GetDirectoryName(full)!);
            if (node.Kind != NodeKind.Missing && (link.Hard || node.Kind != NodeKind.Symlink || node.LinkTarget != link.Target))
            {
                File.Delete(full);
            }

            if (link.Hard)
            {
                Native.HardLink(HostPath(link.Target), full);
            }
            else if (node.Kind != NodeKind.Symlink || node.LinkTarget != link.Target)
            {
                File.CreateSymbolicLink(full, link.Target);
            }

            if (uid is not null || gid is not null)
            {
                Native.Chown(full, uid ?? -1, gid ?? -1);
            }
        }));
    }

    private Task<ConfigEntryResult> SshKeysAsync(UserKeysEntry user, bool apply)
    {
        var account = _users.FindUser(user.Name)
            ?? throw new InvalidOperationException($"user {user.Name} does not exist on the device; creating users needs first-boot Ignition (a reinstall)");
        var path = account.Home.TrimEnd('/') + "/.ssh/authorized_keys.d/fleet";
        if (Refuse(path) is { } refused)
        {
            return Task.FromResult(new ConfigEntryResult(ConfigEntryKind.SshKeys, user.Name, ConfigEntryOutcome.Failed, refused));
        }

        var desired = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', user.Keys) + "\n");
        var full = HostPath(path);
        var differences = new List<string>();
        if (Node.Of(full).Kind != NodeKind.File)
        {
            differences.Add($"{path} missing");
        }
        else
        {
            if (!File.ReadAllBytes(full).AsSpan().SequenceEqual(desired))
            {
                differences.Add("keys differ");
            }

            CompareModeAndOwner(full, 384, account.Uid, account.Gid, differences);
        }

        return Task.FromResult(Result(ConfigEntryKind.SshKeys, user.Name, differences, apply, null, () =>
        {
            // Like Ignition and afterburn on Fedora CoreOS: one file per source in authorized_keys.d, read by ssh-key-dir.
            var keysDirectory = Path.GetDirectoryName(full)!;
            foreach (var directory in new[] { Path.GetDirectoryName(keysDirectory)!, keysDirectory })
            {
                if (!Directory.Exists(directory))
                {
                    Directory.CreateDirectory(directory);
                    SetModeAndOwner(directory, 448, account.Uid, account.Gid); // 0700
                }
            }

            WriteAtomically(full, desired, 384, account.Uid, account.Gid); // 0600
        }));
    }

    private (int? Uid, int? Gid) ResolveOwner(NodeOwner user, NodeOwner group)
    {
        var uid = user.Id ?? (user.Name is { } userName
            ? _users.FindUser(userName)?.Uid ?? throw new FormatException($"user {userName} is not in /etc/passwd")
            : null);
        var gid = group.Id ?? (group.Name is { } groupName
            ? _users.FindGroupId(groupName) ?? throw new FormatException($"group {groupName} is not in /etc/group")
            : null);
        return (uid, gid);
    }

    private static void CompareModeAndOwner(string full, int? mode, int? uid, int? gid, List<string> differences)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("live config applies to Linux hosts");
        }
        if (mode is { } wanted && (int)File.GetUnixFileMode(full) != (wanted & 0xFFF))
        {
            differences.Add($"mode {Octal((int)File.GetUnixFileMode(full))}, want {Octal(wanted)}");
        }

        if ((uid is not null || gid is not null) && Native.Stat(full) is { } stat && ((uid is { } u && u != stat.Uid) || (gid is { } g && g != stat.Gid)))
        {
            differences.Add($"owner {stat.Uid}:{stat.Gid}, want {uid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}:{gid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
        }
    }

    private static void SetModeAndOwner(string full, int? mode, int? uid, int? gid)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("live config applies to Linux hosts");
        }
        if (mode is { } m)
        {
            File.SetUnixFileMode(full, (UnixFileMode)(m & 0xFFF));
        }

        if (uid is not null || gid is not null)
        {
            Native.Chown(full, uid ?? -1, gid ?? -1);
        }
    }

    /// <summary>Writes next to the target and renames over it, so a reader never sees half a file.</summary>
    private static void WriteAtomically(string full, byte[] content, int mode, int? uid, int? gid)
    {
        var directory = Path.GetDirectoryName(full)!;
        CreateDirectories(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.fleet-tmp");
        File.WriteAllBytes(temporary, content);
        SetModeAndOwner(temporary, mode, uid, gid);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>
    /// Creates missing directories 0755 (as Ignition does) whatever the process umask: the agent's unit runs
    /// with UMask=0077 to keep its own state private, which would otherwise make /etc/fleet unreadable.
    /// </summary>
    private static void CreateDirectories(string full)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("live config applies to Linux hosts");
        }

        var missing = new Stack<string>();
        for (var current = full; !string.IsNullOrEmpty(current) && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Push(current);
        }

        while (missing.TryPop(out var directory))
        {
            Directory.CreateDirectory(directory);
            File.SetUnixFileMode(directory, (UnixFileMode)DefaultDirectoryMode);
        }
    }

    private static string Octal(int mode) => "0" + Convert.ToString(mode & 0xFFF, 8);

    private enum NodeKind
    {
        Missing,
        File,
        Directory,
        Symlink,
    }

    private readonly record struct Node(NodeKind Kind, string? LinkTarget)
    {
        public static Node Of(string full)
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is { } target)
            {
                return new(NodeKind.Symlink, target);
            }

            return info.Exists ? new(NodeKind.File, null) : Directory.Exists(full) ? new(NodeKind.Directory, null) : new(NodeKind.Missing, null);
        }
    }
}
