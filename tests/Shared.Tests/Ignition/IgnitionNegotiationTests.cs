using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;
using Fleet.Tests;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>
/// Which spec a client is served (<see cref="IgnitionSpec.Negotiate"/>), and down-conversion of inline merged configs.
/// </summary>
public sealed class IgnitionNegotiationTests
{
    private static readonly Version Native = new(3, 5, 0);

    [Theory]
    [InlineData("application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1", "3.3.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0, */*;q=0.1", "3.5.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0, application/*;q=0.2", "3.5.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0, "
        + "application/vnd.coreos.ignition+json;q=0.5", "3.5.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0;q=0.9, "
        + "application/vnd.coreos.ignition+json;version=3.4.0;q=0.5", "3.4.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.2.0;q=0.5, "
        + "application/vnd.coreos.ignition+json;version=3.6.0", "3.6.0")]
    [InlineData("*/*", "3.5.0")]
    [InlineData("application/json", "3.5.0")]
    [InlineData(null, "3.5.0")]
    public void Negotiate_AcceptHeader_ServesThatSpec(string? accept, string expected)
    {
        var (version, refusal) = IgnitionSpec.Negotiate(accept, Native);

        Assert.Null(refusal);
        Assert.Equal(Version.Parse(expected), version);
    }

    [Theory]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.7.0, */*;q=0")]
    [InlineData("application/vnd.coreos.ignition+json;version=2.2.0")]
    public void Negotiate_OnlyUnknownSpecAcceptable_RefusedNamingIt(string accept)
    {
        var (version, refusal) = IgnitionSpec.Negotiate(accept, Native);

        Assert.Null(version);
        Assert.Contains("is not one this portal serves (3.0.0 to 3.6.0)", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data:;base64,eyJpZ25pdGlvbiI6IHsidmVyc2lvbiI6ICIzLjUuMCJ9fQ==", "")]
    [InlineData("data:,%7B%22ignition%22%3A%7B%22version%22%3A%223.4.0%22%7D%7D", null)]
    public void ConvertTo_InlineMergedConfigNewerThanTarget_FailsNamingTheChild(string source, string? compression)
    {
        var config = Parent(new JsonObject { ["source"] = source, ["compression"] = compression });

        var result = IgnitionSpec.ConvertTo(config, new Version(3, 3, 0));

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("ignition.config.merge.0.source", error.Path);
        var expected = "cannot convert to spec 3.3.0: the inline config it merges is spec 3.";
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertTo_GzippedInlineReplaceNewerThanTarget_Fails()
    {
        var (url, compression) = DataUrl.Encode(System.Text.Encoding.UTF8.GetBytes(
            "{\"ignition\":{\"version\":\"3.5.0\"},\"passwd\":{\"users\":[{\"name\":\""
            + new string('a', 200) + "\"}]}}"));
        Assert.Equal("gzip", compression);
        var config = JsonNode.Parse("""{"ignition":{"version":"3.5.0","config":{}}}""")!.AsObject();
        config["ignition"]!["config"]!["replace"] = new JsonObject { ["source"] = url, ["compression"] = "gzip" };

        var result = IgnitionSpec.ConvertTo(config, new Version(3, 3, 0));

        Assert.Equal("ignition.config.replace.source", Assert.Single(result.Diagnostics).Path);
    }

    [Fact]
    public void ConvertTo_InlineMergedConfigAtOrBelowTarget_Converted()
    {
        var child = "data:,%7B%22ignition%22%3A%7B%22version%22%3A%223.2.0%22%7D%7D";

        var result = IgnitionSpec.ConvertTo(Parent(new JsonObject { ["source"] = child }), new Version(3, 3, 0));

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(new Version(3, 3, 0), IgnitionSpec.VersionOf(result.Ignition!));
    }

    [Fact]
    public void ConvertTo_UpstreamPair20_RefusedFor33()
    {
        var pairs = SharedInterop.ButanePairs;
        var yaml = File.ReadAllText(Path.Combine(pairs, "20-input.bu"));
        var files = new PhysicalFilesDirectory(Path.Combine(pairs, "files-dir"));
        var translated = ButaneTranslator.Translate(yaml, files);
        Assert.True(translated.Succeeded, string.Join("\n", translated.Diagnostics));

        var result = IgnitionSpec.ConvertTo(translated.Ignition!, new Version(3, 3, 0));
        var same = IgnitionSpec.ConvertTo(translated.Ignition!, new Version(3, 5, 0));

        Assert.False(result.Succeeded);
        Assert.Equal("ignition.config.merge.0.source", Assert.Single(result.Diagnostics).Path);
        Assert.True(same.Succeeded);
    }

    private static JsonObject Parent(JsonObject child) =>
        new()
        {
            ["ignition"] = new JsonObject
            {
                ["version"] = "3.5.0",
                ["config"] = new JsonObject { ["merge"] = new JsonArray(child) },
            },
        };
}
