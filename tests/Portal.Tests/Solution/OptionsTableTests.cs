using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Solution;

/// <summary>
/// The option tables in docs/operations.md are generated from the options classes (every class with a
/// <c>Section</c> or <c>SectionName</c> constant) and their XML documentation, so the page cannot drift from the code.
/// A failure shows the lines that differ; <c>FLEET_WRITE_DOCS=1</c> rewrites the tables instead.
/// </summary>
public sealed partial class OptionsTableTests
{
    private const string WriteVariable = "FLEET_WRITE_DOCS";

    [Fact]
    public void PortalOptions_TableInOperations_MatchesCode() =>
        AssertRegion("options", Table(typeof(Fleet.Portal.PortalApp).Assembly, "Section", "Fleet:"));

    [Fact]
    public void AgentOptions_TableInOperations_MatchesCode() =>
        AssertRegion("agent-options", Table(typeof(Fleet.DeviceAgent.AgentOptions).Assembly, "SectionName", "Agent"));

    [Fact]
    public void OptionsClasses_EveryBoundProperty_HasSummary()
    {
        var missing = OptionsTypes(typeof(Fleet.Portal.PortalApp).Assembly, "Section", "Fleet:")
            .Concat(OptionsTypes(typeof(Fleet.DeviceAgent.AgentOptions).Assembly, "SectionName", "Agent"))
            .SelectMany(t => BoundProperties(t.Type)
                .Where(p => Summary(Docs(t.Type.Assembly), p).Length == 0)
                .Select(p => $"{t.Type.Name}.{p.Name}"))
            .ToList();

        Assert.True(missing.Count == 0,
            "Options without a <summary> (the docs table needs one):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void OptionsClasses_EveryBoundClass_InATable()
    {
        var tabled = OptionsTypes(typeof(Fleet.Portal.PortalApp).Assembly, "Section", "Fleet:")
            .Concat(OptionsTypes(typeof(Fleet.DeviceAgent.AgentOptions).Assembly, "SectionName", "Agent"))
            .Select(t => t.Type.Name)
            .ToHashSet(StringComparer.Ordinal);
        var bound = Directory.EnumerateFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => Bound().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value.Split('.')[^1]))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(bound);
        var missing = bound.Except(tabled).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Options classes bound with BindConfiguration but without a Fleet:* Section or "
            + "Agent* SectionName constant, so missing from the docs tables: " + string.Join(", ", missing));
    }

    [Fact]
    public void Table_KnownOption_RowAsExpected()
    {
        var table = Table(typeof(Fleet.Portal.PortalApp).Assembly, "Section", "Fleet:");

        const string Row = "| `Fleet:Mqtt:Port` | int | `8883` | 0–65535 | TCP port of the embedded broker's MQTTS";
        Assert.Contains(Row, table, StringComparison.Ordinal);
    }

    /// <summary>The table of the options classes in <paramref name="assembly"/>, keys in source order.</summary>
    internal static string Table(Assembly assembly, string constantName, string prefix)
    {
        var docs = Docs(assembly);
        var text = new StringBuilder()
            .AppendLine("| Option | Type | Default | Allowed | Meaning |")
            .AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (section, type) in OptionsTypes(assembly, constantName, prefix))
        {
            var instance = Activator.CreateInstance(type);
            foreach (var property in BoundProperties(type))
            {
                var value = Default(property.GetValue(instance));
                text.Append(CultureInfo.InvariantCulture,
                    $"| `{section}:{property.Name}` | {TypeName(property.PropertyType)} | {value} | ")
                    .Append(CultureInfo.InvariantCulture, $"{Allowed(property)} | {Cell(Summary(docs, property))} |")
                    .AppendLine();
            }
        }

        return text.ToString().ReplaceLineEndings("\n");
    }

    private static List<(string Section, Type Type)> OptionsTypes(
        Assembly assembly, string constantName, string prefix) =>
        [.. assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField(constantName, BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.GetRawConstantValue() is string s
                && s.StartsWith(prefix, StringComparison.Ordinal) && x.Type.GetConstructor(Type.EmptyTypes) is not null)
            .Select(x => ((string)x.Field!.GetRawConstantValue()!, x.Type))
            .OrderBy(x => x.Item1, StringComparer.Ordinal)];

    private static IEnumerable<PropertyInfo> BoundProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.SetMethod is { IsPublic: true })
            .OrderBy(p => p.MetadataToken);

    private static readonly Dictionary<Assembly, XDocument> DocsByAssembly = [];

    private static XDocument Docs(Assembly assembly)
    {
        lock (DocsByAssembly)
        {
            if (!DocsByAssembly.TryGetValue(assembly, out var docs))
            {
                var path = Path.ChangeExtension(assembly.Location, ".xml");
                Assert.True(File.Exists(path), $"{path} is missing: the project must set GenerateDocumentationFile.");
                docs = XDocument.Load(path);
                DocsByAssembly[assembly] = docs;
            }

            return docs;
        }
    }

    private static string Summary(XDocument docs, PropertyInfo property)
    {
        var id = $"P:{property.DeclaringType!.FullName!.Replace('+', '.')}.{property.Name}";
        var summary = docs.Descendants("member")
            .FirstOrDefault(m => (string?)m.Attribute("name") == id)?.Element("summary");
        return summary is null ? string.Empty : Whitespace().Replace(Text(summary), " ").Trim();
    }

    /// <summary>An XML doc element as Markdown: <c>code</c> in backticks, crefs by their last name.</summary>
    private static string Text(XElement element) => string.Concat(element.Nodes().Select(node => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
        XElement { Name.LocalName: "see" or "seealso" } see when see.Attribute("cref") is { } cref =>
            cref.Value[(cref.Value.LastIndexOf('.') + 1)..],
        XElement { Name.LocalName: "see" } see when see.Attribute("langword") is { } word => $"`{word.Value}`",
        XElement { Name.LocalName: "paramref" or "typeparamref" } p => p.Attribute("name")?.Value ?? string.Empty,
        XElement e => Text(e),
        _ => string.Empty,
    }));

    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return TypeName(inner) + "?";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var args = type.GetGenericArguments();
            return $"map {TypeName(args[0])} → {TypeName(args[1])}";
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            return $"list of {TypeName(type.GetGenericArguments()[0])}";   // set as Section:Name:0, :1, …
        }

        return type switch
        {
            _ when type == typeof(int) => "int",
            _ when type == typeof(long) => "long",
            _ when type == typeof(double) => "number",
            _ when type == typeof(bool) => "bool",
            _ when type == typeof(string) => "string",
            _ when type.IsEnum => string.Join(" \\| ", Enum.GetNames(type)),
            _ => type.Name,
        };
    }

    private static string Default(object? value) => value switch
    {
        null => "(none)",
        string { Length: 0 } => "(empty)",
        string s => $"`{s}`",
        bool b => b ? "`true`" : "`false`",
        IDictionary { Count: 0 } => "(empty)",
        ICollection { Count: 0 } => "(empty)",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    private static string Allowed(PropertyInfo property)
    {
        var range = property.GetCustomAttribute<RangeAttribute>();
        var required = property.GetCustomAttribute<RequiredAttribute>() is { AllowEmptyStrings: false };
        var length = property.GetCustomAttribute<StringLengthAttribute>();
        var parts = new List<string>();
        if (range is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{range.Minimum}–{range.Maximum}"));
        }

        if (required)
        {
            parts.Add("required");
        }

        if (length is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"≤ {length.MaximumLength} characters"));
        }

        return parts.Count == 0 ? string.Empty : string.Join(", ", parts);
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static void AssertRegion(string name, string expected)
    {
        var path = Repository.PathOf("docs", "operations.md");
        var document = File.ReadAllText(path).ReplaceLineEndings("\n");
        var begin = $"<!-- {name}:begin (generated by OptionsTableTests; {WriteVariable}=1 rewrites it) -->\n";
        var end = $"<!-- {name}:end -->";
        var start = document.IndexOf(begin, StringComparison.Ordinal);
        var stop = document.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start,
            $"docs/operations.md has no region between '{begin.TrimEnd()}' and '{end}'.");

        var actual = document[(start + begin.Length)..stop];
        if (actual == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(path, document[..(start + begin.Length)] + expected + document[stop..]);
            return;
        }

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var diff = expectedLines.Except(actualLines, StringComparer.Ordinal).Select(l => "+ " + l)
            .Concat(actualLines.Except(expectedLines, StringComparer.Ordinal).Select(l => "- " + l));
        Assert.Fail($"The '{name}' table in docs/operations.md differs from the options classes "
            + $"(run the tests with {WriteVariable}=1 to rewrite it):\n" + string.Join("\n", diff));
    }

    [GeneratedRegex(@"AddOptions<([\w.]+)>\(\)\s*\.BindConfiguration")]
    private static partial Regex Bound();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
