using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary>Size figures of one mounted filesystem, as statvfs(3) gives them.</summary>
public readonly record struct SpaceInfo(long TotalBytes, long FreeBytes, long AvailableBytes);

/// <summary>
/// Real filesystems from <c>/proc/self/mountinfo</c> with their usage. Pseudo filesystems (proc, sysfs,
/// tmpfs, overlay, cgroup, …) are skipped; a filesystem mounted at several places (OSTree bind-mounts
/// /sysroot at /etc and /var) is reported once, at the mount of its root if there is one.
/// </summary>
public sealed class FilesystemCollector(HostFiles files, Func<string, SpaceInfo?> statvfs) : IHealthCollector
{
    public const int MaxFilesystems = 64;

    private static readonly HashSet<string> PseudoTypes = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "overlay", "cgroup", "cgroup2", "mqueue", "debugfs",
        "tracefs", "securityfs", "pstore", "bpf", "autofs", "hugetlbfs", "configfs", "fusectl", "binfmt_misc",
        "efivarfs", "ramfs", "nsfs", "rpc_pipefs", "selinuxfs", "squashfs", "composefs", "erofs", "iso9660",
        "fuse.lxcfs", "fuse.portal", "fuse.gvfsd-fuse", "nfsd", "rootfs", "none",
    };

    /// <summary>Reads sizes through <see cref="DriveInfo"/> (statvfs under the hood) at the real path.</summary>
    public FilesystemCollector(HostFiles files)
        : this(files, DriveSpace)
    {
    }

    public string Name => "filesystems";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (files.ReadOrNull("/proc/self/mountinfo") is not { } text)
        {
            return Task.CompletedTask;
        }

        var chosen = new Dictionary<string, Mount>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Mount.Parse(line) is not { } mount || PseudoTypes.Contains(mount.Type))
            {
                continue;
            }

            if (!chosen.TryGetValue(mount.DeviceNumber, out var existing))
            {
                chosen[mount.DeviceNumber] = mount;
                order.Add(mount.DeviceNumber);
            }
            else if (existing.Root != "/" && mount.Root == "/")
            {
                chosen[mount.DeviceNumber] = mount;
            }
        }

        var result = new List<FilesystemUsage>();
        foreach (var mount in order.Select(d => chosen[d]).Take(MaxFilesystems))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (statvfs(files.PathOf(mount.MountPoint)) is { } space && space.TotalBytes > 0)
            {
                result.Add(new FilesystemUsage(
                    Cut(mount.MountPoint),
                    Cut(mount.Source),
                    Cut(mount.Type),
                    space.TotalBytes,
                    Math.Max(0, space.TotalBytes - space.FreeBytes),
                    space.AvailableBytes));
            }
        }

        draft.Filesystems = result;
        return Task.CompletedTask;
    }

    private static SpaceInfo? DriveSpace(string path)
    {
        try
        {
            var drive = new DriveInfo(path);
            return new SpaceInfo(drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Unmounted meanwhile, or not ours to look at: not a failure of the whole collector.
            return null;
        }
    }

    private static string Cut(string value) => value.Length <= Protocol.MaxFieldLength ? value : value[..Protocol.MaxFieldLength];

    /// <summary>
    /// One mountinfo line: <c>id parent major:minor root mountpoint options [optional…] - type source superoptions</c>.
    /// Paths escape space, tab, newline and backslash as octal (<c>\040</c>).
    /// </summary>
    private sealed record Mount(string DeviceNumber, string Root, string MountPoint, string Type, string Source)
    {
        public static Mount? Parse(string line)
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 10 || separator < 0 || separator + 2 >= fields.Length)
            {
                return null;
            }

            return new Mount(fields[2], Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2]));
        }

        private static string Unescape(string value)
        {
            if (!value.Contains('\\', StringComparison.Ordinal))
            {
                return value;
            }

            var builder = new System.Text.StringBuilder(value.Length);
            for (var i = 0; i < value.Length; i++)
            {
                if (value[i] == '\\' && i + 3 < value.Length && IsOctal(value[i + 1]) && IsOctal(value[i + 2]) && IsOctal(value[i + 3]))
                {
                    builder.Append((char)(((value[i + 1] - '0') * 64) + ((value[i + 2] - '0') * 8) + (value[i + 3] - '0')));
                    i += 3;
                }
                else
                {
                    builder.Append(value[i]);
                }
            }

            return builder.ToString();
        }

        private static bool IsOctal(char c) => c is >= '0' and <= '7';
    }
}
