using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

public sealed class ConfigNodeTests : IDisposable
{
    private readonly ConfigRig _rig = new();

    [Fact]
    public async Task ApplyAsync_HardLinkAndLinkOverwrite_LinksAsAsked()
    {
        _rig.Write("etc/original", "shared\n");
        _rig.Write("etc/in-the-way", "a file\n");
        _rig.Write("etc/kept", "a file\n");
        var json = """
            {"ignition":{"version":"3.4.0"},"storage":{"links":[
              {"path":"/etc/hard","target":"/etc/original","hard":true},
              {"path":"/etc/in-the-way","target":"/etc/original","overwrite":true},
              {"path":"/etc/kept","target":"/etc/original"}
            ]}}
            """;

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(json), TestContext.Current.CancellationToken);
        var again = await _rig.Applier.RunAsync(Fleet.DeviceAgent.Config.IgnitionConfig.Parse(System.Text.Encoding.UTF8.GetBytes(json)), apply: false, TestContext.Current.CancellationToken);

        Assert.Equal([ConfigEntryOutcome.Applied, ConfigEntryOutcome.Applied, ConfigEntryOutcome.Failed], report.Entries.Select(e => e.Outcome));
        Assert.Equal("a file is at the path: overwrite is false", report.Entries[2].Detail);
        File.AppendAllText(_rig.PathOf("/etc/original"), "more\n");
        Assert.Equal("shared\nmore\n", _rig.Read("/etc/hard"));
        Assert.Equal("/etc/original", new FileInfo(_rig.PathOf("/etc/in-the-way")).LinkTarget);
        Assert.Equal("a file\n", _rig.Read("/etc/kept"));
        Assert.Equal([ConfigEntryOutcome.Unchanged, ConfigEntryOutcome.Unchanged, ConfigEntryOutcome.Drifted], again.Select(e => e.Outcome));
    }

    [Fact]
    public async Task ApplyAsync_UnmaskAndDisable_ReplacesTheMaskAndDisables()
    {
        var v1 = """{"ignition":{"version":"3.4.0"},"systemd":{"units":[{"name":"app.service","mask":true},{"name":"web.service","contents":"[Service]\nExecStart=/usr/bin/true\n","enabled":true}]}}""";
        var v2 = """{"ignition":{"version":"3.4.0"},"systemd":{"units":[{"name":"app.service","contents":"[Service]\nExecStart=/usr/bin/true\n"},{"name":"web.service","contents":"[Service]\nExecStart=/usr/bin/true\n","enabled":false}]}}""";
        await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(v1, "v1"), TestContext.Current.CancellationToken);
        Assert.Equal(["web.service"], _rig.EnabledUnits);

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(v2, "v2"), TestContext.Current.CancellationToken);

        Assert.Equal([("app.service", "masked"), ("web.service", "enabled")], report.Entries.Select(e => (e.Target, e.Detail)));
        Assert.All(report.Entries, e => Assert.Equal(ConfigEntryOutcome.Applied, e.Outcome));
        Assert.Null(new FileInfo(_rig.PathOf("/etc/systemd/system/app.service")).LinkTarget);
        Assert.Empty(_rig.EnabledUnits);
    }

    [Fact]
    public async Task ApplyAsync_BadEntries_LocatedFailuresOthersApplied()
    {
        var json = """
            {"ignition":{"version":"3.4.0"},"storage":{"files":[{"contents":{"source":"data:,x"}},{"path":"/etc/ok","contents":{"source":"data:,x"},"mode":"0644"},{"path":"/etc/fine","contents":{"source":"data:,y"}}]},
             "systemd":{"units":[{"name":"bad/name.service","contents":"x"},{"name":"a.service","dropins":[{"name":"x.txt","contents":"y"}]}]},
             "passwd":{"users":[{"name":"ghost","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}}
            """;

        var report = await _rig.Coordinator.ApplyAsync(ConfigRig.Desired(json), TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                (ConfigEntryKind.File, "storage.files[0]", ConfigEntryOutcome.Failed, "storage.files[0]: path is required"),
                (ConfigEntryKind.File, "/etc/ok", ConfigEntryOutcome.Failed, "storage.files[1]: mode must be a whole number"),
                (ConfigEntryKind.File, "/etc/fine", ConfigEntryOutcome.Applied, "missing"),
                (ConfigEntryKind.Unit, "bad/name.service", ConfigEntryOutcome.Failed, "not a valid unit name"),
                (ConfigEntryKind.Unit, "a.service", ConfigEntryOutcome.Unchanged, null),
                (ConfigEntryKind.Dropin, "a.service/x.txt", ConfigEntryOutcome.Failed, "a drop-in name must end in .conf"),
                (ConfigEntryKind.SshKeys, "ghost", ConfigEntryOutcome.Failed, "user ghost does not exist on the device; creating users needs first-boot Ignition (a reinstall)"),
            ],
            report.Entries.Select(e => (e.Kind, e.Target, e.Outcome, e.Detail)));
    }

    public void Dispose() => _rig.Dispose();
}
