using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

public sealed class IgnitionSpecConversionTests
{
    [Fact]
    public void ConvertTo_33_ConfigUsingNothingNewer_PassesRealValidator()
    {
        var butane = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.6.0
            ignition:
              config:
                merge:
                  - inline: '{"ignition": {"version": "3.3.0"}}'
            storage:
              files:
                - path: /etc/motd
                  contents:
                    inline: hello
            """);

        var converted = IgnitionSpec.ConvertTo(butane.Ignition!, new Version(3, 3, 0));

        Assert.True(converted.Succeeded, string.Join("\n", converted.Diagnostics));
        Assert.Equal(new Version(3, 3, 0), IgnitionSpec.VersionOf(converted.Ignition!));
        Assert.Equal(new Version(3, 5, 0), IgnitionSpec.VersionOf(butane.Ignition!));
        IgnitionValidateTool.AssertValid(converted.Ignition!);
    }

    [Fact]
    public void ConvertTo_Older_ConfigNeedsNewer_ErrorNamesField()
    {
        var config = JsonNode.Parse("""
            {"ignition":{"version":"3.5.0"},"storage":{"luks":[{"name":"root","device":"/dev/dasda2","cex":{"enabled":true}}]}}
            """)!.AsObject();

        var converted = IgnitionSpec.ConvertTo(config, new Version(3, 3, 0));

        Assert.Null(converted.Ignition);
        var error = Assert.Single(converted.Errors);
        Assert.Equal("storage.luks.0.cex", error.Path);
        Assert.Contains("LUKS CEX need spec 3.5.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertTo_30_DropsEmptyCompressionOnMergedConfigs()
    {
        var config = JsonNode.Parse("""
            {"ignition":{"version":"3.4.0","config":{"merge":[{"compression":"","source":"data:,%7B%7D"}]}}}
            """)!.AsObject();

        var converted = IgnitionSpec.ConvertTo(config, new Version(3, 0, 0));

        Assert.True(converted.Succeeded, string.Join("\n", converted.Diagnostics));
        Assert.Null(converted.Ignition!["ignition"]!["config"]!["merge"]![0]!["compression"]);
        IgnitionValidateTool.AssertValid(converted.Ignition!);
    }

    [Fact]
    public void ConvertTo_Newer_OnlyVersionChanges()
    {
        var config = JsonNode.Parse("""{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/a"}]}}""")!.AsObject();

        var converted = IgnitionSpec.ConvertTo(config, new Version(3, 6, 0));

        Assert.True(converted.Succeeded);
        Assert.True(IgnitionValidator.Validate(converted.Ignition!.ToJsonString()).Succeeded);
        Assert.Equal("3.0.0", config["ignition"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public void Supported_Is30To36()
    {
        Assert.Equal(["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0"], IgnitionSpec.Supported.Select(v => v.ToString()));
    }
}
