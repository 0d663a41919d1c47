using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;
using Fleet.Tests;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>The 30 upstream Butane → Ignition pairs (butane v0.23.0 --strict --files-dir files-dir).</summary>
public sealed class ButanePairsTests
{
    public static TheoryData<string> Pairs() => new(PairNames());

    // Without the shared data one row stands for all, and skips when it reads the pairs.
    private static IEnumerable<string> PairNames() => Fleet.Tests.SharedInterop.Available
        ? Directory.GetFiles(SharedInterop.ButanePairs, "*-input.bu").Order(StringComparer.Ordinal).Select(f =>
            Path.GetFileName(f)[..2])
        : ["(no shared data)"];

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Translate_UpstreamPair_MatchesExpectedIgnition(string pair)
    {
        var yaml = File.ReadAllText(SharedInterop.ButanePair($"{pair}-input.bu"));
        var expected = JsonNode.Parse(File.ReadAllText(SharedInterop.ButanePair($"{pair}-expected.ign.json")));

        var result = ButaneTranslator.Translate(yaml, FilesDir);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        Assert.True(JsonNode.DeepEquals(expected, result.Ignition), $"expected\n{expected}\nactual\n{result.Ignition}");
    }

    private static PhysicalFilesDirectory FilesDir => new(SharedInterop.ButanePair("files-dir"));

    [Fact]
    public void Translate_AllPairs_ThirtyOfThirtyMatch()
    {
        var files = FilesDir;
        var matched = PairNames().Count(pair =>
        {
            var yaml = File.ReadAllText(SharedInterop.ButanePair($"{pair}-input.bu"));
            var result = ButaneTranslator.Translate(yaml, files);
            var expected = JsonNode.Parse(File.ReadAllText(SharedInterop.ButanePair($"{pair}-expected.ign.json")));
            return result.Succeeded && JsonNode.DeepEquals(expected, result.Ignition);
        });

        Assert.Equal(30, matched);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Translate_UpstreamPair_PassesRealIgnitionValidate(string pair)
    {
        var yaml = File.ReadAllText(SharedInterop.ButanePair($"{pair}-input.bu"));

        var result = ButaneTranslator.Translate(yaml, FilesDir);

        IgnitionValidateTool.AssertValid(result.Ignition!);
    }
}
