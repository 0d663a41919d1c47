using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fleet.Shared.Ignition;

/// <summary>YAML scalars and keys as Butane (Go's yaml.v3) reads them, and located diagnostics.</summary>
internal sealed partial class ButaneTranslation
{
    /// <summary>Butane field names are Ignition's in snake_case (<c>size_mib</c> → <c>sizeMiB</c>).</summary>
    internal static string ToCamel(string key)
    {
        var parts = key.Split('_');
        for (var i = 1; i < parts.Length; i++)
        {
            parts[i] = parts[i] == "mib" ? "MiB" : parts[i].Length == 0 ? "" : char.ToUpperInvariant(parts[i][0]) + parts[i][1..];
        }

        return string.Concat(parts);
    }

    private static bool IsSnake(string key) => key.Length > 0 && !key.Any(char.IsUpper);

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>YAML integers as Go's yaml.v3 reads them: decimal, 0o/0x/0b prefixes, and a leading 0 means octal (0644).</summary>
    internal static bool TryParseInteger(string text, out long value)
    {
        value = 0;
        var negative = text.StartsWith('-');
        var digits = negative || text.StartsWith('+') ? text[1..] : text;
        var (radix, body) = digits switch
        {
            _ when digits.StartsWith("0o", StringComparison.Ordinal) => (8, digits[2..]),
            _ when digits.StartsWith("0x", StringComparison.Ordinal) => (16, digits[2..]),
            _ when digits.StartsWith("0b", StringComparison.Ordinal) => (2, digits[2..]),
            _ when digits.Length > 1 && digits[0] == '0' => (8, digits[1..]),
            _ => (10, digits),
        };
        if (body.Length == 0)
        {
            return false;
        }

        try
        {
            value = radix == 10 ? long.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture) : System.Convert.ToInt64(body, radix);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }

        value = negative ? -value : value;
        return true;
    }

    /// <summary>"644" without the leading 0 is decimal 644 = octal 1204 (sticky, odd bits): almost surely meant 0644.</summary>
    private static bool LooksLikeOctalWrittenAsDecimal(string text, long value) =>
        text.Length is 3 or 4 && text[0] != '0' && text.All(c => c is >= '0' and <= '7') && value > 511;

    private static bool TryParseBoolean(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                value = true;
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static string KeyText(YamlNode key) => key is YamlScalarNode { Value: { } text } ? text : key.ToString();

    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(p => KeyText(p.Key) == key).Value;

    private static YamlNode? ChildKey(YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(p => KeyText(p.Key) == key).Key;

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static int Column(YamlNode node) => (int)node.Start.Column;

    private static SourceSpan Span(YamlNode node, string path) => new(path, Line(node), Column(node));

    private void Error(string message, YamlNode node, string path) =>
        bag.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, message, path.Length == 0 ? null : path, Line(node), Column(node)));

    private void Warning(string message, YamlNode node, string path) =>
        bag.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, message, path.Length == 0 ? null : path, Line(node), Column(node)));
}
