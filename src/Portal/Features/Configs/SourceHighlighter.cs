using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Configs;

/// <summary>A small, JS-free highlighter for Butane YAML and Ignition JSON: keys, strings, numbers, comments and <c>{{templates}}</c>.</summary>
public static partial class SourceHighlighter
{
    public static string Line(string line, ConfigSourceLanguage language)
    {
        ArgumentNullException.ThrowIfNull(line);
        var html = new StringBuilder();
        var last = 0;
        var pattern = language == ConfigSourceLanguage.Butane ? Yaml() : Json();
        foreach (Match m in pattern.Matches(line))
        {
            html.Append(WebUtility.HtmlEncode(line[last..m.Index]));
            var css = m.Groups["comment"].Success ? "hl-comment"
                : m.Groups["template"].Success ? "hl-template"
                : m.Groups["key"].Success ? "hl-key"
                : m.Groups["string"].Success ? "hl-string"
                : "hl-number";
            html.Append("<span class=\"").Append(css).Append("\">").Append(WebUtility.HtmlEncode(m.Value)).Append("</span>");
            last = m.Index + m.Length;
        }

        html.Append(WebUtility.HtmlEncode(line[last..]));
        return html.ToString();
    }

    [GeneratedRegex(@"(?<comment>#.*$)|(?<template>\{\{[^}]*\}\})|(?<key>^\s*-?\s*[A-Za-z_][\w.\-]*(?=:))|(?<string>""[^""]*""|'[^']*')|(?<number>\b\d+\b)", RegexOptions.CultureInvariant)]
    private static partial Regex Yaml();

    [GeneratedRegex(@"(?<template>\{\{[^}]*\}\})|(?<key>""[^""]*""(?=\s*:))|(?<string>""(?:[^""\\]|\\.)*"")|(?<number>-?\b\d+(\.\d+)?\b)", RegexOptions.CultureInvariant)]
    private static partial Regex Json();
}
