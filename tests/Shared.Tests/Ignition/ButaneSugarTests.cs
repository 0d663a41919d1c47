using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>Butane sugar beyond the 30 pairs: encodings, generated sections and their errors.</summary>
public sealed class ButaneSugarTests
{
    [Fact]
    public void Encode_CompressibleText_GzipWhenShorter()
    {
        var text = string.Concat(Enumerable.Repeat("export SYSTEMD_PAGER=cat\n", 200));

        var (url, compression) = DataUrl.Encode(Encoding.UTF8.GetBytes(text));

        Assert.Equal("gzip", compression);
        Assert.StartsWith("data:;base64,", url, StringComparison.Ordinal);
        Assert.True(DataUrl.TryDecode(url, out var gz));
        using var gunzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var reader = new StreamReader(gunzip);
        Assert.Equal(text, reader.ReadToEnd());
    }

    [Theory]
    [InlineData("Hello, world!", "data:,Hello%2C%20world!")]
    [InlineData("{\"ignition\": {\"version\": \"3.5.0\"}}", "data:;base64,eyJpZ25pdGlvbiI6IHsidmVyc2lvbiI6ICIzLjUuMCJ9fQ==")]
    [InlineData("", "data:,")]
    public void Encode_ShortText_ShortestOfPercentAndBase64(string text, string expected)
    {
        var (url, compression) = DataUrl.Encode(Encoding.UTF8.GetBytes(text));

        Assert.Equal((expected, ""), (url, compression));
    }

    [Fact]
    public void Encode_AuthorChoseCompression_NoRecompressionAndNoCompressionOverride()
    {
        var (url, compression) = DataUrl.Encode(new byte[200], "gzip");

        Assert.Null(compression);
        Assert.StartsWith("data:", url, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_InlineLargeFile_GzipRecordedAndValid()
    {
        var body = string.Concat(Enumerable.Repeat("    line of a long config file\n", 100));
        var yaml = "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/big.conf\n      contents:\n        inline: |\n" +
            string.Concat(body.Split('\n').Where(l => l.Length > 0).Select(l => "          " + l + "\n"));

        var result = ButaneTranslator.Translate(yaml);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal("gzip", result.Ignition!["storage"]!["files"]![0]!["contents"]!["compression"]!.GetValue<string>());
        IgnitionValidateTool.AssertValid(result.Ignition);
    }

    [Fact]
    public void Translate_InlineAndSource_MutuallyExclusive()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /a
                  contents:
                    source: https://example.com/a
                    inline: a
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("storage.files.0.contents.inline", 8, 9), (error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Translate_WithMountUnitWithoutPath_Error()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            storage:
              filesystems:
                - device: /dev/sdb1
                  format: ext4
                  with_mount_unit: true
            """);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("storage.filesystems.0.with_mount_unit", 7, 7), (error.Path, error.Line, error.Column));
        Assert.Contains("needs path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_BootDeviceBefore13_Error()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.2.0\nboot_device:\n  luks:\n    tpm2: true\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("boot_device", 4, 3), (error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Translate_S390xEckdWithoutDevice_Error()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.6.0\nboot_device:\n  layout: s390x-eckd\n  luks:\n    tpm2: true\n");

        Assert.Contains(result.Errors, e => e.Message.Contains("luks.device is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Translate_MirrorOnAarch64_ReservedPartitionInsteadOfBios()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.4.0\nboot_device:\n  layout: aarch64\n  mirror:\n    devices: [/dev/vda, /dev/vdb]\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var first = result.Ignition!["storage"]!["disks"]![0]!["partitions"]![0]!;
        Assert.Equal("reserved-1", first["label"]!.GetValue<string>());
        IgnitionValidateTool.AssertValid(result.Ignition);
    }

    [Fact]
    public void Translate_GrubBefore15_Error()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.4.0\ngrub:\n  users:\n    - name: root\n      password_hash: x\n");

        Assert.Equal("grub", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Translate_SshKeysLocal_AppendedAfterInlineKeys()
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]> { ["keys"] = "ssh-ed25519 A a@b\r\n\r\nssh-rsa B c@d\n"u8.ToArray() });

        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            passwd:
              users:
                - name: core
                  ssh_authorized_keys: [ssh-ed25519 Z z@z]
                  ssh_authorized_keys_local: [keys]
            """, files);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var keys = result.Ignition!["passwd"]!["users"]![0]!["sshAuthorizedKeys"]!.AsArray().Select(k => k!.GetValue<string>());
        Assert.Equal(["ssh-ed25519 Z z@z", "ssh-ed25519 A a@b", "ssh-rsa B c@d"], keys);
    }

    [Fact]
    public void Translate_OctalAndHexIntegers_ReadAsYamlV3Does()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /a
                  mode: 0o755
                - path: /b
                  mode: 0x1ED
                - path: /c
                  mode: 420
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var modes = result.Ignition!["storage"]!["files"]!.AsArray().Select(f => f!["mode"]!.GetValue<long>());
        Assert.Equal([493L, 493L, 420L], modes);
    }

    [Fact]
    public void Translate_LocalMergeConfigInvalid_ErrorAtLocal()
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]> { ["base.ign"] = "{\"ignition\":{}}"u8.ToArray() });

        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.6.0
            ignition:
              config:
                merge:
                  - local: base.ign
            """, files);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("ignition.config.merge.0.local", 6, 16), (error.Path, error.Line, error.Column));
        Assert.Contains("missing ignition.version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_RemoteTangFilesystem_MountedAsRemote()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            storage:
              luks:
                - name: data
                  device: /dev/sdb
                  clevis:
                    tang:
                      - url: https://tang.example.com
                        thumbprint: abc
              filesystems:
                - path: /var/data
                  device: /dev/mapper/data
                  format: xfs
                  mount_options: [noatime]
                  with_mount_unit: true
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        var unit = result.Ignition!["systemd"]!["units"]![0]!;
        Assert.Equal("var-data.mount", unit["name"]!.GetValue<string>());
        Assert.Contains("Options=noatime,_netdev\n\n[Install]\nRequiredBy=remote-fs.target", unit["contents"]!.GetValue<string>(), StringComparison.Ordinal);
        IgnitionValidateTool.AssertValid(JsonNode.Parse(result.Ignition.ToJsonString())!.AsObject());
    }

    [Theory]
    [InlineData("1.4.0", "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys_local: [k]\n", "passwd.users.0.ssh_authorized_keys_local", "fcos 1.5.0")]
    [InlineData("1.4.0", "systemd:\n  units:\n    - name: a.service\n      contents_local: a\n", "systemd.units.0.contents_local", "fcos 1.5.0")]
    [InlineData("1.0.0", "storage:\n  files:\n    - path: /a\n      contents:\n        local: a\n", "storage.files.0.contents.local", "fcos 1.1.0")]
    [InlineData("1.3.0", "storage:\n  filesystems:\n    - device: /dev/sdb\n      format: swap\n      with_mount_unit: true\n", "storage.filesystems.0.with_mount_unit", "fcos 1.4.0")]
    public void Translate_SugarNewerThanFcosVersion_Error(string version, string body, string path, string needs)
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]> { ["k"] = "ssh-ed25519 A"u8.ToArray(), ["a"] = "x"u8.ToArray() });

        var result = ButaneTranslator.Translate($"variant: fcos\nversion: {version}\n{body}", files);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(needs, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_MirrorWithOneDevice_Error()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.3.0\nboot_device:\n  mirror:\n    devices: [/dev/sda]\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("boot_device.mirror.devices", 5, 5), (error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Translate_TreeWithRelativePath_Error()
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]> { ["tree/a"] = "a"u8.ToArray() });

        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: tree\n      path: etc\n", files);

        Assert.Equal("storage.trees.0.path", Assert.Single(result.Errors).Path);
    }
}
