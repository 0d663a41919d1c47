using System.Reflection;
using System.Text.RegularExpressions;

using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Solution;

/// <summary>
/// The documentation describes what is: its folder map names exactly the portal's feature folders, protocol.md has
/// one templated section per topic, every link into the docs resolves, and no page tells the project's history by
/// work item ("stop 12", "issue 15"), which git keeps.
/// </summary>
public sealed partial class DocsTests
{
    [Fact]
    public void ArchitectureFolders_FeatureFolders_MatchSource()
    {
        var listed = FolderMapFeatures();
        var actual = Directory.GetDirectories(Repository.PathOf("src", "Portal", "Features"))
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
        var root = Repository.Root;
        var hits = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(root, "README.md"))
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(x => History().IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.path)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();

        Assert.True(hits.Count == 0, "Docs describe what is; history stays in git:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void Protocol_EveryTopic_HasOneTemplatedSection()
    {
        string[] parts = ["**Fields**", "**Refusals", "**Agent behaviour", "**Portal behaviour", "**Example"];
        var text = File.ReadAllText(Repository.PathOf("docs", "protocol.md")).ReplaceLineEndings("\n");
        // Level-3 sections only: the overview table under "## MQTT topics" names every topic too.
        var sections = text.Split("\n## ").SelectMany(chapter => chapter.Split("\n### ").Skip(1)).ToList();
        var topics = typeof(Fleet.Shared.Topics).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(string) && m.GetParameters().Length is 1 or 2
                && m.Name is not ("DevicePrefix" or "TerminalInputFilter"))
            .Select(m => (string)m.Invoke(null, [.. m.GetParameters().Select(p => (object)("{" + p.Name + "}"))])!)
            .ToList();

        Assert.Equal(Enum.GetValues<Fleet.Shared.TopicKind>().Length - 1, topics.Count);
        var problems = topics.Select(topic =>
            {
                var owning = sections.Where(s => s.Contains($"| `{topic}` |", StringComparison.Ordinal)).ToList();
                var missing = owning.Count == 1
                    ? parts.Where(p => !owning[0].Contains(p, StringComparison.Ordinal))
                    : parts;
                return owning.Count != 1
                    ? $"{topic}: {owning.Count} sections name it in a table, want 1"
                    : missing.Any() ? $"{topic}: section lacks {string.Join(", ", missing)}" : null;
            })
            .OfType<string>()
            .ToList();

        Assert.True(problems.Count == 0, "docs/protocol.md:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void History_Pattern_MatchesWorkItemsOnly()
    {
        Assert.Matches(History(), "added in stop 12");
        Assert.Matches(History(), "Issue 15 asked for it");
        Assert.DoesNotMatch(History(), "stops 3 devices");
    }

    [Fact]
    public void Links_IntoDocs_ResolveToFilesAndHeadings()
    {
        var root = Repository.Root;
        var pages = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(root, "README.md"))
            .ToList();
        var broken = new List<string>();
        foreach (var page in pages)
        {
            foreach (Match link in Link().Matches(string.Join("\n", Prose(File.ReadLines(page)))))
            {
                var target = link.Groups["path"].Value;
                var anchor = link.Groups["anchor"].Value;
                if (target.Contains("://", StringComparison.Ordinal)
                    || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var file = target.Length == 0
                    ? page
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, target));
                var where = $"{Path.GetRelativePath(root, page)}: ({target}#{anchor})";
                if (!File.Exists(file) && !Directory.Exists(file))
                {
                    broken.Add(where + ": no such file");
                }
                else if (anchor.Length > 0
                    && (!file.EndsWith(".md", StringComparison.Ordinal) || !Anchors(file).Contains(anchor)))
                {
                    broken.Add(where + ": no such heading");
                }
            }
        }

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>GitHub's anchors of a Markdown file: lower case, punctuation dropped, spaces to dashes.</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Prose(File.ReadLines(file)))
        {
            if (Heading().Match(line) is { Success: true } heading)
            {
                var text = heading.Groups[1].Value.Trim().ToLowerInvariant();
                var slug = Slug().Replace(text, string.Empty).Replace(' ', '-');
                var unique = slug;
                for (var n = 1; !anchors.Add(unique); n++)
                {
                    unique = $"{slug}-{n}";
                }
            }
        }

        return anchors;
    }

    /// <summary>The lines outside fenced code blocks.</summary>
    private static IEnumerable<string> Prose(IEnumerable<string> lines)
    {
        var fenced = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced)
            {
                yield return line;
            }
        }
    }

    /// <summary>The <c>Features/X</c> names in the code block under "## Folders".</summary>
    private static HashSet<string> FolderMapFeatures()
    {
        var text = File.ReadAllText(Repository.PathOf("docs", "architecture.md")).ReplaceLineEndings("\n");
        var start = text.IndexOf("\n## Folders\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no '## Folders' section.");
        var next = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = next < 0 ? text[start..] : text[start..next];

        return Feature().Matches(section).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\b[Ss]top \d+\b|\b[Ii]ssue \d+\b")]
    private static partial Regex History();

    [GeneratedRegex(@"\]\((?<path>[^)#\s]*)(?:#(?<anchor>[^)\s]*))?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd} _-]")]
    private static partial Regex Slug();

    [GeneratedRegex(@"^\s*Features/([A-Za-z]+)(?![.A-Za-z])", RegexOptions.Multiline)]
    private static partial Regex Feature();
}
