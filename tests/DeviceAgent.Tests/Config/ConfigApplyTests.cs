using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

public sealed class ConfigApplyTests : IDisposable
{
    private const UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode750 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private readonly ConfigRig _rig = new();

    [Fact]
    public async Task ApplyAsync_RenderedButanePairs_WritesFilesLinksUnitsDropinsAndKeys()
    {
        var desired = ConfigRig.Desired(ButanePairs.Merge("29", "22", "30", "26", "23"));

        var report = await _rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);

        Assert.Null(report.Error);
        Assert.Equal("v1", report.Version);
        // Units that only carry drop-ins have nothing of their own to write.
        Assert.Equal(
            ["serial-getty@ttyS0.service", "rpm-ostreed.service"],
            report.Entries.Where(e => e.Outcome == ConfigEntryOutcome.Unchanged).Select(e => e.Target));
        Assert.All(report.Entries.Where(e => e.Outcome != ConfigEntryOutcome.Unchanged), e => Assert.Equal(ConfigEntryOutcome.Applied, e.Outcome));
        Assert.Equal(
            [
                (ConfigEntryKind.Directory, "/etc/fleet"),
                (ConfigEntryKind.File, "/etc/fleet/agent.conf"),
                (ConfigEntryKind.File, "/etc/hostname"),
                (ConfigEntryKind.File, "/etc/hostname"),
                (ConfigEntryKind.File, "/etc/profile.d/systemd-pager.sh"),
                (ConfigEntryKind.Link, "/etc/localtime"),
                (ConfigEntryKind.Unit, "serial-getty@ttyS0.service"),
                (ConfigEntryKind.Dropin, "serial-getty@ttyS0.service/autologin-core.conf"),
                (ConfigEntryKind.Unit, "hello.service"),
                (ConfigEntryKind.Unit, "zezere_ignition.timer"),
                (ConfigEntryKind.Unit, "example.service"),
                (ConfigEntryKind.Unit, "rpm-ostreed.service"),
                (ConfigEntryKind.Dropin, "rpm-ostreed.service/proxy.conf"),
                (ConfigEntryKind.SshKeys, "core"),
            ],
            report.Entries.Select(e => (e.Kind, e.Target)));

        // Pair 29: directory and file modes, percent-encoded data URLs, a relative symlink.
        Assert.True(Directory.Exists(_rig.PathOf("/etc/fleet")));
        Assert.Equal(Mode750, _rig.Mode("/etc/fleet"));
        Assert.Equal("server=https://fleet.example.com\ngroup=edge\n", _rig.Read("/etc/fleet/agent.conf"));
        Assert.Equal(Mode600, _rig.Mode("/etc/fleet/agent.conf"));
        Assert.Equal("../usr/share/zoneinfo/UTC", new FileInfo(_rig.PathOf("/etc/localtime")).LinkTarget);

        // Pair 22 (second /etc/hostname, listed later, wins) and its drop-in.
        Assert.Equal("tutorial\n", _rig.Read("/etc/hostname"));
        Assert.Equal(Mode644, _rig.Mode("/etc/hostname"));
        Assert.Contains("--autologin core", _rig.Read("/etc/systemd/system/serial-getty@ttyS0.service.d/autologin-core.conf"), StringComparison.Ordinal);

        // Pair 30: an enabled unit and a masked one; pair 26: a unit and a drop-in for a vendor unit.
        Assert.Contains("Hello, World!", _rig.Read("/etc/systemd/system/hello.service"), StringComparison.Ordinal);
        Assert.Equal("/dev/null", new FileInfo(_rig.PathOf("/etc/systemd/system/zezere_ignition.timer")).LinkTarget);
        Assert.Contains("HTTP_PROXY", _rig.Read("/etc/systemd/system/rpm-ostreed.service.d/proxy.conf"), StringComparison.Ordinal);
        Assert.Equal(["hello.service"], _rig.EnabledUnits);
        var calls = _rig.SystemctlCalls;
        Assert.Equal(1, calls.Count(c => c == "systemctl daemon-reload"));
        Assert.True(calls.ToList().IndexOf("systemctl daemon-reload") < calls.ToList().IndexOf("systemctl enable hello.service"));

        // Pair 23: keys where Ignition and afterburn put them on Fedora CoreOS, owned by core.
        const string Keys = "/var/home/core/.ssh/authorized_keys.d/fleet";
        Assert.Equal("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0example user@host\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIexample user@host\n", _rig.Read(Keys));
        Assert.Equal(Mode600, _rig.Mode(Keys));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, _rig.Mode("/var/home/core/.ssh"));
        Assert.Equal((ConfigRig.CoreUid, ConfigRig.CoreUid), Owner(_rig.PathOf(Keys)));
    }

    [Fact]
    public async Task ApplyAsync_SameConfigAgain_EverythingUnchangedAndNoReload()
    {
        var desired = ConfigRig.Desired(ButanePairs.Merge("29", "30", "23"));
        await _rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);
        var reloads = _rig.SystemctlCalls.Count(c => c == "systemctl daemon-reload");

        var again = await _rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);

        Assert.All(again.Entries, e => Assert.Equal(ConfigEntryOutcome.Unchanged, e.Outcome));
        Assert.Equal(reloads, _rig.SystemctlCalls.Count(c => c == "systemctl daemon-reload"));
    }

    [Fact]
    public async Task ApplyAsync_HashMismatch_ErrorReportAndNothingWritten()
    {
        var json = ButanePairs.Expected("29");
        var desired = ConfigRig.Desired(json) with { Ignition = json.Replace("iot-device-01", "iot-device-02", StringComparison.Ordinal) };

        var report = await _rig.Coordinator.ApplyAsync(desired, TestContext.Current.CancellationToken);

        Assert.Empty(report.Entries);
        Assert.StartsWith("SHA-512 mismatch", report.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_rig.PathOf("/etc/fleet")));
        Assert.False(File.Exists(_rig.PathOf("/etc/hostname")));
    }

    [Theory]
    [InlineData("{\"ignition\":{\"version\":\"2.2.0\"}}", "ignition.version must be 3.x, not '2.2.0'")]
    [InlineData("{\"ignition\":{\"version\":\"3.4.0\"},}", "not JSON: line 1")]
    public async Task ApplyAsync_UnreadableConfig_ErrorSaysWhere(string json, string error)
    {
        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(json), TestContext.Current.CancellationToken);

        Assert.StartsWith(error, report.Error, StringComparison.Ordinal);
        Assert.Empty(report.Entries);
    }

    [Theory]
    [InlineData("06", 2)]
    [InlineData("08", 6)]
    [InlineData("15", 8)]
    [InlineData("16", 11)]
    public async Task ApplyAsync_StorageSections_NeedsReinstallAndTheRestApplied(string pair, int storageEntries)
    {
        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(ButanePairs.Expected(pair)), TestContext.Current.CancellationToken);

        var storage = report.Entries.Where(e => e.Kind == ConfigEntryKind.Storage).ToList();
        Assert.Equal(storageEntries, storage.Count);
        Assert.All(storage, e => Assert.Equal(ConfigEntryOutcome.NeedsReinstall, e.Outcome));
        Assert.All(report.Entries.Where(e => e.Kind != ConfigEntryKind.Storage), e => Assert.Equal(ConfigEntryOutcome.Applied, e.Outcome));
        Assert.Contains(storage, e => e.Target.StartsWith("/dev/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_PathOutsideEtcAndVar_FailedWithReasonOthersApplied()
    {
        var json = """
            {"ignition":{"version":"3.4.0"},"storage":{"files":[
              {"path":"/usr/local/bin/tool","contents":{"source":"data:,x"}},
              {"path":"/etc/../usr/x","contents":{"source":"data:,x"}},
              {"path":"/etc/motd","contents":{"source":"data:;base64,aGVsbG8K"},"mode":420}
            ]}}
            """;

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(json), TestContext.Current.CancellationToken);

        Assert.Equal(ConfigEntryOutcome.Failed, report.Entries[0].Outcome);
        Assert.Contains("outside /etc, /var and home directories", report.Entries[0].Detail, StringComparison.Ordinal);
        Assert.Equal(ConfigEntryOutcome.Failed, report.Entries[1].Outcome);
        Assert.Contains("not an absolute, clean path", report.Entries[1].Detail, StringComparison.Ordinal);
        Assert.Equal(ConfigEntryOutcome.Applied, report.Entries[2].Outcome);
        Assert.Equal("hello\n", _rig.Read("/etc/motd"));
        Assert.False(File.Exists(_rig.PathOf("/usr/local/bin/tool")));
    }

    [Fact]
    public async Task ApplyAsync_GzipSourcesHashesOverwriteAndOwners_EachEntryJudgedAlone()
    {
        var text = "compressed contents\n";
        var gzip = Gzip(Encoding.UTF8.GetBytes(text));
        var hash = Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(text)));
        _rig.Write("etc/issue", "the image's own file\n");
        var json = """
            {"ignition":{"version":"3.4.0"},"storage":{"files":[
              {"path":"/etc/gz","contents":{"compression":"gzip","source":"data:;base64,GZ_BASE64","verification":{"hash":"sha512-GZ_HASH"}},"user":{"name":"core"},"group":{"id":1000}},
              {"path":"/etc/bad-hash","contents":{"source":"data:,x","verification":{"hash":"sha256-00"}}},
              {"path":"/etc/issue","contents":{"source":"data:,mine"}},
              {"path":"/etc/owned","contents":{"source":"data:,x"},"user":{"name":"nobody-here"}},
              {"path":"/var/lib/app.conf","contents":{"source":"data:,a%3D1%0A"},"append":[{"source":"data:,b%3D2%0A"}]},
              {"path":"/etc/remote","contents":{"source":"tftp://host/file"}}
            ]}}
            """.Replace("GZ_BASE64", Convert.ToBase64String(gzip), StringComparison.Ordinal).Replace("GZ_HASH", hash, StringComparison.Ordinal);

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(json), TestContext.Current.CancellationToken);

        Assert.Equal(
            [ConfigEntryOutcome.Applied, ConfigEntryOutcome.Failed, ConfigEntryOutcome.Failed, ConfigEntryOutcome.Failed, ConfigEntryOutcome.Applied, ConfigEntryOutcome.Failed],
            report.Entries.Select(e => e.Outcome));
        Assert.Equal(text, _rig.Read("/etc/gz"));
        Assert.Equal((ConfigRig.CoreUid, 1000), Owner(_rig.PathOf("/etc/gz")));
        Assert.StartsWith("verification hash mismatch", report.Entries[1].Detail, StringComparison.Ordinal);
        Assert.Equal("contents differ: it exists with other contents and overwrite is false", report.Entries[2].Detail);
        Assert.Equal("the image's own file\n", _rig.Read("/etc/issue"));
        Assert.Equal("user nobody-here is not in /etc/passwd", report.Entries[3].Detail);
        Assert.Equal("a=1\nb=2\n", _rig.Read("/var/lib/app.conf"));
        Assert.Equal("source scheme 'tftp' is not supported live (data, http and https are)", report.Entries[5].Detail);
    }

    [Fact]
    public async Task ApplyAsync_ChangedConfigWithoutOverwrite_ReplacesFilesTheAgentWrote()
    {
        var v1 = """{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/app.conf","contents":{"source":"data:,v1"}}]}}""";
        var v2 = v1.Replace("data:,v1", "data:,v2", StringComparison.Ordinal);
        await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(v1, "v1"), TestContext.Current.CancellationToken);

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(v2, "v2"), TestContext.Current.CancellationToken);

        Assert.Equal(ConfigEntryOutcome.Applied, Assert.Single(report.Entries).Outcome);
        Assert.Equal("v2", _rig.Read("/etc/app.conf"));
    }

    public void Dispose() => _rig.Dispose();

    private static (int Uid, int Gid) Owner(string path)
    {
        var stat = Fleet.DeviceAgent.Config.Native.Stat(path)!.Value;
        return (stat.Uid, stat.Gid);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
