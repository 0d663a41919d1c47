namespace Fleet.Shared.Ignition;

/// <summary>
/// The systemd unit-file syntax check Ignition makes on unit and dropin contents (go-systemd's
/// deserializer): section headers closed and alone on their line, options written as Key=Value.
/// </summary>
internal static class UnitSyntax
{
    /// <summary>A description of the first syntax error, or null when the contents parse.</summary>
    public static string? FirstError(string contents)
    {
        var lines = contents.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var continued = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var number = i + 1;
            if (continued)
            {
                continued = line.EndsWith('\\');
                continue;
            }

            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                var close = line.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    return $"line {number}: section header {line} has no closing ]";
                }

                if (line[(close + 1)..].Trim().Length > 0)
                {
                    return $"line {number}: text after the section name {line[..(close + 1)]}";
                }

                continue;
            }

            if (!line.Contains('=', StringComparison.Ordinal))
            {
                return $"line {number}: \"{Shorten(line)}\" is not Key=Value";
            }

            continued = line.EndsWith('\\');
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
