using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fleet.DeviceAgent.Config;

/// <summary>What <c>statx</c> says about a node (without following a final symlink).</summary>
public readonly record struct NodeStat(int Uid, int Gid, ulong Inode, ulong Device);

/// <summary>
/// The few libc calls .NET has no API for: owner (lchown, statx) and hard links (link). statx is used
/// rather than stat because its struct has the same layout on every architecture.
/// </summary>
internal static partial class Native
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    public static NodeStat? Stat(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx: uid at 20, gid at 24, ino at 32, dev_major at 136, dev_minor at 140.
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(136)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(140));
        return new NodeStat(
            (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20)),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24)),
            BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32)),
            device);
    }

    public static void Chown(string path, int uid, int gid)
    {
        if (LChown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {uid}:{gid} {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static void HardLink(string target, string path)
    {
        if (Link(target, path) != 0)
        {
            throw new IOException($"link {path} → {target} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);
}
