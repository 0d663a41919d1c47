using Fleet.DeviceAgent.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Updates;

/// <summary>Facts about the host the update side reads from files under <see cref="AgentOptions.HostRoot"/>.</summary>
public interface IUpdateHost
{
    /// <summary>The <see cref="AgentOptions.HostRoot"/> every path is under.</summary>
    string Root { get; }

    /// <summary>This boot's id (<c>/proc/sys/kernel/random/boot_id</c>); a new id means the machine rebooted.</summary>
    string? ReadBootId();

    /// <summary>The node id (see <see cref="Shared.NodeUuid"/>) from <c>/etc/machine-id</c>; null when that is unreadable.</summary>
    string? ReadNodeUuid();

    /// <summary>Zincati's unit is installed and not masked.</summary>
    bool IsZincatiInstalled();

    /// <summary>Greenboot's health-check unit is installed.</summary>
    bool IsGreenbootInstalled();

    /// <summary>The platform Zincati reports: <c>ignition.platform.id</c> from the kernel command line, else <c>metal</c>.</summary>
    string ReadPlatform();

    /// <summary>The base architecture (<c>x86_64</c>, <c>aarch64</c>).</summary>
    string Basearch { get; }
}

public sealed class LinuxUpdateHost(IOptions<AgentOptions> options) : IUpdateHost
{
    public string Root { get; } = options.Value.HostRoot;

    public string Basearch => KernelArchitecture.Current;

    public string? ReadBootId() => ReadFirstLine("proc/sys/kernel/random/boot_id")?.Replace("-", string.Empty, StringComparison.Ordinal);

    public string? ReadNodeUuid() => Shared.NodeUuid.FromMachineId(ReadFirstLine("etc/machine-id"));

    public bool IsZincatiInstalled()
    {
        // "systemctl mask" links the unit to /dev/null in /etc; a masked Zincati never runs.
        var masked = new FileInfo(Under("etc/systemd/system/zincati.service"));
        if (masked.Exists && masked.LinkTarget == "/dev/null")
        {
            return false;
        }

        return File.Exists(Under("usr/lib/systemd/system/zincati.service")) || File.Exists(Under("etc/systemd/system/zincati.service"));
    }

    public bool IsGreenbootInstalled() => File.Exists(Under("usr/lib/systemd/system/greenboot-healthcheck.service"));

    public string ReadPlatform()
    {
        var cmdline = ReadFirstLine("proc/cmdline") ?? string.Empty;
        const string Key = "ignition.platform.id=";
        var token = cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(t => t.StartsWith(Key, StringComparison.Ordinal));
        return token is not null && token.Length > Key.Length ? token[Key.Length..] : "metal";
    }

    private string Under(string relative) => Path.Combine(Root, relative);

    private string? ReadFirstLine(string relative)
    {
        try
        {
            return File.ReadLines(Under(relative)).FirstOrDefault()?.Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
