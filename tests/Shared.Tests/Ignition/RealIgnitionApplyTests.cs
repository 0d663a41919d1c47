using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>A translated Butane config, applied by the real Ignition binary, writes what the author asked for.</summary>
public sealed class RealIgnitionApplyTests
{
    [Fact]
    public void Apply_TranslatedButane_FilesUnitsAndTreeAppearInRoot()
    {
        var files = new InMemoryFilesDirectory(
            new Dictionary<string, byte[]> { ["tree/agent.conf"] = "server=https://fleet.example.com\n"u8.ToArray(), ["tree/bin/run.sh"] = "#!/bin/sh\n"u8.ToArray() },
            new HashSet<string> { "tree/bin/run.sh" });
        var translated = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.4.0
            storage:
              directories:
                - path: /etc/fleet
                  mode: 0750
              files:
                - path: /etc/motd
                  mode: 0644
                  contents:
                    inline: |
                      Managed by Fleet
              links:
                - path: /etc/localtime
                  target: ../usr/share/zoneinfo/UTC
              trees:
                - local: tree
                  path: /etc/fleet
            systemd:
              units:
                - name: fleet-hello.service
                  enabled: true
                  contents: |
                    [Service]
                    Type=oneshot
                    ExecStart=/usr/bin/true
                    [Install]
                    WantedBy=multi-user.target
                - name: zincati.service
                  dropins:
                    - name: 50-fleet.conf
                      contents: |
                        [Service]
                        Environment=FLEET=1
            """, files);
        Assert.True(translated.Succeeded, string.Join("\n", translated.Diagnostics));
        using var ignition = new RealIgnition();

        var (exitCode, log) = ignition.Apply(translated.Ignition!);

        Assert.True(exitCode == 0, log);
        Assert.Contains("Ignition finished successfully", log, StringComparison.Ordinal);
        var root = ignition.Root;
        Assert.Equal("Managed by Fleet\n", File.ReadAllText(Path.Combine(root, "etc/motd")));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(root, "etc/motd")));
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(Path.Combine(root, "etc/fleet")));
        Assert.Equal("server=https://fleet.example.com\n", File.ReadAllText(Path.Combine(root, "etc/fleet/agent.conf")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(root, "etc/fleet/bin/run.sh")));
        Assert.Equal("../usr/share/zoneinfo/UTC", new FileInfo(Path.Combine(root, "etc/localtime")).LinkTarget);
        Assert.Contains("ExecStart=/usr/bin/true", File.ReadAllText(Path.Combine(root, "etc/systemd/system/fleet-hello.service")), StringComparison.Ordinal);
        Assert.Contains("enable fleet-hello.service", File.ReadAllText(Path.Combine(root, "etc/systemd/system-preset/20-ignition.preset")), StringComparison.Ordinal);
        // The YAML text ends right after the last line, so the block scalar has no final newline.
        Assert.Equal("[Service]\nEnvironment=FLEET=1", File.ReadAllText(Path.Combine(root, "etc/systemd/system/zincati.service.d/50-fleet.conf")));
    }
}
