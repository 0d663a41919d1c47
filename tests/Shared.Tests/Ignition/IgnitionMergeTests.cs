using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

public sealed class IgnitionMergeTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    [Fact]
    public void Merge_SameFilePath_ChildFieldsOverrideParentKeepsOthers()
    {
        var parent = Json("""{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","mode":420,"contents":{"source":"data:,parent"}},{"path":"/etc/a"}]}}""");
        var child = Json("""{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"data:,child"}},{"path":"/etc/b"}]}}""");

        var merged = IgnitionMerge.Merge(parent, child);

        var expected = Json("""{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","mode":420,"contents":{"source":"data:,child"}},{"path":"/etc/a"},{"path":"/etc/b"}]}}""");
        Assert.True(JsonNode.DeepEquals(expected, merged), merged.ToJsonString());
        Assert.Equal("data:,parent", parent["storage"]!["files"]![0]!["contents"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void Merge_ChildDirectoryAtParentFilePath_FileRemoved()
    {
        var parent = Json("""{"storage":{"files":[{"path":"/etc/fleet"}]}}""");
        var child = Json("""{"storage":{"directories":[{"path":"/etc/fleet","mode":493}]}}""");

        var merged = IgnitionMerge.Merge(parent, child);

        Assert.Empty(merged["storage"]!["files"]!.AsArray());
        Assert.Single(merged["storage"]!["directories"]!.AsArray());
    }

    [Fact]
    public void Merge_UnitsAndDropinsByName_SshKeysByValue_AppendConcatenated()
    {
        var parent = Json("""
            {"systemd":{"units":[{"name":"a.service","enabled":true,"dropins":[{"name":"x.conf","contents":"1"}]}]},
             "passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k1","k2"]}]},
             "storage":{"files":[{"path":"/f","append":[{"source":"data:,1"}]}]}}
            """);
        var child = Json("""
            {"systemd":{"units":[{"name":"a.service","enabled":false,"dropins":[{"name":"x.conf","contents":"2"},{"name":"y.conf"}]}]},
             "passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k2","k3"]}]},
             "storage":{"files":[{"path":"/f","append":[{"source":"data:,1"}]}]}}
            """);

        var merged = IgnitionMerge.Merge(parent, child);

        var expected = Json("""
            {"systemd":{"units":[{"name":"a.service","enabled":false,"dropins":[{"name":"x.conf","contents":"2"},{"name":"y.conf"}]}]},
             "passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k1","k2","k3"]}]},
             "storage":{"files":[{"path":"/f","append":[{"source":"data:,1"},{"source":"data:,1"}]}]}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, merged), merged.ToJsonString());
    }

    [Fact]
    public void Merge_HttpHeaderWithNullValue_RemovesParentHeader()
    {
        var parent = Json("""{"ignition":{"config":{"replace":{"source":"https://a","httpHeaders":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}}}}""");
        var child = Json("""{"ignition":{"config":{"replace":{"httpHeaders":[{"name":"X","value":null}]}}}}""");

        var merged = IgnitionMerge.Merge(parent, child);

        var headers = merged["ignition"]!["config"]!["replace"]!["httpHeaders"]!.AsArray();
        Assert.Equal("Y", Assert.Single(headers)!["name"]!.GetValue<string>());
    }

    [Fact]
    public void MergeLayers_FleetGroupDevice_RecordsOriginOfEachEntry()
    {
        var fleet = Json("""{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"data:,fleet"}},{"path":"/etc/issue"}]},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["fleet-key"]}]}}""");
        var group = Json("""{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"data:,group"}}]},"systemd":{"units":[{"name":"edge.service","enabled":true,"contents":"[Install]\nWantedBy=multi-user.target\n"}]}}""");
        var device = Json("""{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["device-key"]}]}}""");

        var (merged, origins) = IgnitionMerge.MergeLayers([("fleet", fleet), ("group:edge", group), ("device:d1", device)]);

        Assert.Equal(new Version(3, 4, 0), IgnitionSpec.VersionOf(merged));
        Assert.Equal("group:edge", origins["storage.files[/etc/motd]"]);
        Assert.Equal("fleet", origins["storage.files[/etc/issue]"]);
        Assert.Equal("group:edge", origins["systemd.units[edge.service]"]);
        Assert.Equal("device:d1", origins["passwd.users[core]"]);
        Assert.Equal("fleet", origins["passwd.users[core].sshAuthorizedKeys[fleet-key]"]);
        Assert.Equal("device:d1", origins["passwd.users[core].sshAuthorizedKeys[device-key]"]);
        Assert.True(IgnitionValidator.Validate(merged.ToJsonString()).Succeeded);
        IgnitionValidateTool.AssertValid(merged);
    }

    [Fact]
    public void Merge_PartitionsByNumberOrLabel()
    {
        var parent = Json("""{"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":4,"label":"root"},{"label":"var","sizeMiB":10}]}]}}""");
        var child = Json("""{"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":4,"resize":true},{"label":"var","sizeMiB":20}]}]}}""");

        var merged = IgnitionMerge.Merge(parent, child);

        var expected = Json("""{"storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":4,"label":"root","resize":true},{"label":"var","sizeMiB":20}]}]}}""");
        Assert.True(JsonNode.DeepEquals(expected, merged), merged.ToJsonString());
    }
}
