using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>Fleet's validator and Debian's real ignition-validate accept and refuse the same 3.3.0 configs.</summary>
public sealed class RealValidatorParityTests
{
    public static TheoryData<string, bool> Bodies() => new()
    {
        { """ "storage":{"links":[{"path":"/a"}]} """, false },
        { """ "storage":{"links":[{"path":"/a","target":"b","hard":true}]} """, true },
        { """ "storage":{"filesystems":[{"device":"/dev/sdb","format":"ntfs"}]} """, false },
        { """ "storage":{"filesystems":[{"device":"/dev/sdb","path":"/var/x"}]} """, false },
        { """ "storage":{"files":[{"path":"/a","overwrite":true}]} """, false },
        { """ "storage":{"files":[{"path":"/a","contents":{"source":"data:,x","httpHeaders":[{"name":"A","value":"b"}]}}]} """, false },
        { """ "storage":{"luks":[{"name":"x"}]} """, false },
        { """ "storage":{"luks":[{"name":"x","device":"/dev/sdb","clevis":{"tang":[{"url":"https://t"}]}}]} """, false },
        { """ "kernelArguments":{"shouldExist":["a"],"shouldNotExist":["a"]} """, false },
        { """ "storage":{"raid":[{"name":"md","level":"raid9","devices":["/dev/a","/dev/b"]}]} """, false },
        { """ "storage":{"raid":[{"name":"md","level":"raid1","devices":["/dev/a","/dev/b"]}]} """, true },
        { """ "storage":{"files":[{"path":"/a","contents":{"source":"https://x/y","compression":"zstd"}}]} """, false },
        { """ "storage":{"directories":[{"path":"/"}]} """, true },
        { """ "storage":{"files":[{"path":"/a","user":{"id":1,"name":"x"}}]} """, false },
        { """ "storage":{"disks":[{"device":"/dev/sda","partitions":[{"number":1},{"number":1}]}]} """, false },
        { """ "storage":{"files":[{"path":"/a","contents":{"source":"http://x/y","verification":{"hash":"md5-abc"}}}]} """, false },
        { """ "storage":{"files":[{"path":"/a/../b"}]} """, false },
        { """ "storage":{"files":[{"path":"/a","mode":420}],"directories":[{"path":"/a"}]} """, false },
        { """ "systemd":{"units":[{"name":"a.servic"}]} """, false },
        { """ "systemd":{"units":[{"name":"a.service","dropins":[{"name":"x.txt"}]}]} """, false },
        { """ "systemd":{"units":[{"name":"a.service"},{"name":"a.service"}]} """, false },
        { """ "storage":{"files":[{"path":"/a","contents":{"source":"ftp://x/y"}}]} """, false },
        { """ "storage":{"files":[{"path":"/a","contents":{"source":"gs://bucket/y"}}]} """, true },
        { """ "storage":{"filesystems":[{"device":"/dev/sdb","format":"none"}]} """, true },
        { """ "passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}],"groups":[{"name":"g","gid":1000}]} """, true },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Validate_SameVerdictAsRealIgnitionValidate(string body, bool valid)
    {
        var json = "{\"ignition\":{\"version\":\"3.3.0\"}," + body.Trim() + "}";

        var ours = IgnitionValidator.Validate(json);
        var (exitCode, output) = IgnitionValidateTool.Run(json);

        Assert.Equal(valid, exitCode == 0);
        Assert.True(valid == ours.Succeeded, $"ours: {string.Join("; ", ours.Diagnostics)}\nreal: {output}");
    }
}
