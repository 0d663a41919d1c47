using System.Text.RegularExpressions;

namespace Fleet.Portal.Tests.Solution;

/// <summary>
/// The documentation describes what is: its folder map names exactly the portal's feature folders, and no page
/// tells the project's history by work item ("stop 12", "issue 15"), which git keeps.
/// </summary>
public sealed partial class DocsTests
{
    [Fact]
    public void ArchitectureFolders_FeatureFolders_MatchSource()
    {
        var listed = FolderMapFeatures();
        var actual = Directory.GetDirectories(DocsFiles.InRepository("src", "Portal", "Features"))
            .Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);

        var missing = actual.Except(listed).Order(StringComparer.Ordinal).ToList();
        var stale = listed.Except(actual).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            "docs/architecture.md '## Folders' and src/Portal/Features differ.\n"
            + $"Not in the map: {string.Join(", ", missing)}\nIn the map, not in src: {string.Join(", ", stale)}");
    }

    [Fact]
    public void Docs_NoPage_TellsHistoryByWorkItem()
    {
        var root = DocsFiles.RepositoryRoot();
        var hits = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(root, "README.md"))
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(x => History().IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.path)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();

        Assert.True(hits.Count == 0, "Docs describe what is; history stays in git:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void History_Pattern_MatchesWorkItemsOnly()
    {
        Assert.Matches(History(), "added in stop 12");
        Assert.Matches(History(), "Issue 15 asked for it");
        Assert.DoesNotMatch(History(), "stops 3 devices");
    }

    /// <summary>The <c>Features/X</c> names in the code block under "## Folders".</summary>
    private static HashSet<string> FolderMapFeatures()
    {
        var text = File.ReadAllText(DocsFiles.InRepository("docs", "architecture.md")).ReplaceLineEndings("\n");
        var start = text.IndexOf("\n## Folders\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no '## Folders' section.");
        var next = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = next < 0 ? text[start..] : text[start..next];

        return Feature().Matches(section).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\b[Ss]top \d+\b|\b[Ii]ssue \d+\b")]
    private static partial Regex History();

    [GeneratedRegex(@"^\s*Features/([A-Za-z]+)", RegexOptions.Multiline)]
    private static partial Regex Feature();
}
