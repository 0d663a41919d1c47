using System.Security.Cryptography;
using System.Text;
using Fleet.DeviceAgent.Updates;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>
/// A scripted rpm-ostree host for tests: a temp directory with the stand-ins' state
/// (<c>Fixtures/fake-os/README.md</c>) and a host root, plus a <see cref="ProcessRunner"/> whose children
/// find the stand-ins first on their PATH. The test process's own PATH is never changed.
/// </summary>
/// <remarks>Also compiled into the portal tests (linked), so keep it to the BCL and the agent's types.</remarks>
internal sealed class FakeOs : IDisposable
{
    public const string MachineId = "3d1219c7c4c5404aaa1f6d2a48adfda4";

    private readonly Dictionary<string, string> _state = new(StringComparer.Ordinal);

    public FakeOs(string bootedVersion = "42.20250901.3.0", long bootedTimestamp = 1_756_684_800)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fleet-fake-os-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(Root, "etc"));
        File.WriteAllText(Path.Combine(Root, "etc/machine-id"), MachineId + "\n");
        File.WriteAllText(Path.Combine(Directory, "releases"), string.Empty);
        File.WriteAllText(Path.Combine(Directory, "calls.log"), string.Empty);
        NewBootId();
        var booted = AddRelease(bootedVersion, bootedTimestamp);
        _state["booted"] = booted.Line;
        Save();
    }

    /// <summary>Where the stand-ins are (copied next to the test assembly).</summary>
    public static string ToolsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "fake-os");

    public string Directory { get; }

    /// <summary>The agent's <c>HostRoot</c>.</summary>
    public string Root => Path.Combine(Directory, "root");

    public static string NodeUuid => Shared.NodeUuid.FromMachineId(MachineId)!;

    /// <summary>Runs tools with the stand-ins first on the children's PATH.</summary>
    public ProcessRunner Runner => new(Environment);

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["PATH"] = ToolsDirectory + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
        ["FLEET_FAKE_OS"] = Directory,
    };

    /// <summary>Every tool invocation so far, e.g. <c>rpm-ostree deploy revision=…</c>, <c>systemctl reboot</c>.</summary>
    public IReadOnlyList<string> Calls => File.ReadAllLines(Path.Combine(Directory, "calls.log"));

    public string? BootedVersion => Field("booted", 0);

    public string? StagedVersion => Field("staged", 0);

    public string BootId => File.ReadAllText(Path.Combine(Root, "proc/sys/kernel/random/boot_id")).Trim();

    /// <summary>A release the fake repository can deploy; its checksum is the SHA-256 of the version.</summary>
    public static Release ReleaseOf(string version, long timestamp) => new(version, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version))), timestamp);

    public Release AddRelease(string version, long timestamp)
    {
        var release = ReleaseOf(version, timestamp);
        File.AppendAllText(Path.Combine(Directory, "releases"), release.Line + "\n");
        return release;
    }

    /// <summary>Makes these commands fail with <paramref name="message"/> (<c>status deploy rollback upgrade reboot</c>).</summary>
    public void Fail(string message, params string[] commands) => Set(("fail", string.Join(' ', commands)), ("fail_message", message));

    public void Heal() => Set(("fail", string.Empty), ("fail_message", string.Empty));

    /// <summary>The next reboot into a staged deployment falls back: greenboot red, old deployment again, motd says FALLBACK.</summary>
    public void FailNextBoot() => Set(("fail_boot", "1"));

    public void SetRollback(Release release) => Set(("rollback", release.Line));

    /// <summary>Enough of a host under <see cref="Root"/> for enrolment: a machine-id, os-release and one physical NIC.</summary>
    public void WriteHostIdentity(string machineId, string mac)
    {
        File.WriteAllText(System.IO.Path.Combine(Root, "etc/machine-id"), machineId + "\n");
        File.WriteAllText(System.IO.Path.Combine(Root, "etc/os-release"), "ID=fedora\nVERSION_ID=42\nVARIANT_ID=coreos\nPRETTY_NAME=\"Fedora CoreOS 42.1\"\n");
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Root, "sys/class/net/eth0/device"));
        File.WriteAllText(System.IO.Path.Combine(Root, "sys/class/net/eth0/address"), mac + "\n");
    }

    public void InstallZincati() => Touch("usr/lib/systemd/system/zincati.service");

    public void InstallGreenboot() => Touch("usr/lib/systemd/system/greenboot-healthcheck.service");

    public void NewBootId()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Root, "proc/sys/kernel/random"));
        File.WriteAllText(Path.Combine(Root, "proc/sys/kernel/random/boot_id"), Guid.NewGuid().ToString() + "\n");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private void Set(params (string Key, string Value)[] values)
    {
        Load();
        foreach (var (key, value) in values)
        {
            _state[key] = value;
        }

        Save();
    }

    private string? Field(string key, int index)
    {
        Load();
        return _state.TryGetValue(key, out var value) && value.Length > 0 ? value.Split(' ')[index] : null;
    }

    private void Touch(string relative)
    {
        var path = Path.Combine(Root, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "[Unit]\n");
    }

    // The stand-ins rewrite the file; read it back before changing a key so their changes are kept.
    private void Load()
    {
        var path = Path.Combine(Directory, "state");
        if (!File.Exists(path))
        {
            return;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                _state[line[..equals]] = line[(equals + 1)..].Trim('"');
            }
        }
    }

    private void Save() =>
        File.WriteAllText(Path.Combine(Directory, "state"), string.Concat(_state.Select(p => $"{p.Key}=\"{p.Value}\"\n")));

    /// <summary>A release as the fake repository and the fake update server know it.</summary>
    public sealed record Release(string Version, string Checksum, long Timestamp)
    {
        public string Line => $"{Version} {Checksum} {Timestamp}";
    }
}
