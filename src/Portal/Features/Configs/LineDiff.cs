namespace Fleet.Portal.Features.Configs;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DiffKind>))]
public enum DiffKind
{
    Same,
    Removed,
    Added,
}

/// <summary>One line of a side-by-side diff: its text and its line numbers on each side (null where absent).</summary>
public sealed record DiffLine(DiffKind Kind, int? OldLine, int? NewLine, string Text);

/// <summary>A line diff by longest common subsequence: small inputs (configs up to 1 MiB, usually a few hundred lines); beyond 4,000×4,000 lines it falls back to "all removed, all added".</summary>
public static class LineDiff
{
    private const long MaxCells = 16_000_000;

    public static IReadOnlyList<DiffLine> Compute(string? before, string? after)
    {
        var a = Lines(before);
        var b = Lines(after);
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        var result = new List<DiffLine>();
        for (var i = 0; i < prefix; i++)
        {
            result.Add(new DiffLine(DiffKind.Same, i + 1, i + 1, a[i]));
        }

        var n = a.Length - prefix - suffix;
        var m = b.Length - prefix - suffix;
        if ((long)n * m > MaxCells)
        {
            for (var i = 0; i < n; i++)
            {
                result.Add(new DiffLine(DiffKind.Removed, prefix + i + 1, null, a[prefix + i]));
            }

            for (var j = 0; j < m; j++)
            {
                result.Add(new DiffLine(DiffKind.Added, null, prefix + j + 1, b[prefix + j]));
            }
        }
        else
        {
            // lcs[i, j]: length of the LCS of a[i..] and b[j..] (middle part only).
            var lcs = new int[n + 1, m + 1];
            for (var i = n - 1; i >= 0; i--)
            {
                for (var j = m - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            int x = 0, y = 0;
            while (x < n || y < m)
            {
                if (x < n && y < m && a[prefix + x] == b[prefix + y])
                {
                    result.Add(new DiffLine(DiffKind.Same, prefix + x + 1, prefix + y + 1, a[prefix + x]));
                    x++;
                    y++;
                }
                else if (y < m && (x == n || lcs[x, y + 1] >= lcs[x + 1, y]))
                {
                    result.Add(new DiffLine(DiffKind.Added, null, prefix + y + 1, b[prefix + y]));
                    y++;
                }
                else
                {
                    result.Add(new DiffLine(DiffKind.Removed, prefix + x + 1, null, a[prefix + x]));
                    x++;
                }
            }
        }

        for (var i = 0; i < suffix; i++)
        {
            result.Add(new DiffLine(DiffKind.Same, a.Length - suffix + i + 1, b.Length - suffix + i + 1, a[a.Length - suffix + i]));
        }

        return result;
    }

    private static string[] Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
}
