using System.Text;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Identity;

/// <summary>
/// Parses os-release(5): shell-compatible <c>KEY=value</c> lines, values optionally quoted, with
/// backslash escapes inside double quotes and none inside single quotes. Invalid lines are skipped
/// rather than failing the whole file, because a device must still be able to enrol.
/// </summary>
public static class OsReleaseParser
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = line[..equals];
            if (!IsValidKey(key) || !TryUnquote(line.AsSpan(equals + 1), out var value))
            {
                continue;
            }

            // A later assignment wins, as it would when the file is sourced by a shell.
            if (fields.ContainsKey(key) || fields.Count < Protocol.MaxOsReleaseFields)
            {
                fields[key] = Truncate(value);
            }
        }

        return fields;
    }

    internal static string Truncate(string value) =>
        value.Length <= Protocol.MaxFieldLength ? value : value[..Protocol.MaxFieldLength];

    private static bool IsValidKey(string key)
    {
        if (key.Length > Protocol.MaxOsReleaseKeyLength || !(char.IsAsciiLetter(key[0]) || key[0] == '_'))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryUnquote(ReadOnlySpan<char> raw, out string value)
    {
        var result = new StringBuilder(raw.Length);
        char? quote = null;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = null;
                }
                else
                {
                    result.Append(c);
                }
            }
            else if (c == '\\' && i + 1 < raw.Length)
            {
                // Inside double quotes only these characters are escapable; elsewhere any character is.
                var next = raw[i + 1];
                if (quote is null || next is '"' or '\\' or '$' or '`')
                {
                    result.Append(next);
                    i++;
                }
                else
                {
                    result.Append(c);
                }
            }
            else if (c == '"')
            {
                quote = quote is null ? '"' : null;
            }
            else if (c == '\'' && quote is null)
            {
                quote = '\'';
            }
            else if (quote is null && char.IsWhiteSpace(c))
            {
                // An unquoted space ends the value in a shell; anything after it is not part of it.
                break;
            }
            else
            {
                result.Append(c);
            }
        }

        value = result.ToString();
        return quote is null;
    }
}
