using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using Version = System.Version;
using YamlDotNet.RepresentationModel;

namespace Fleet.Shared.Ignition;

/// <summary>
/// Translates Butane YAML to Ignition JSON the way upstream <c>butane --strict</c> v0.23 does: variants
/// <c>fcos</c> 1.0.0–1.6.0 and <c>fiot</c> 1.0.0, with the sugar (inline/local contents, trees, contents_local,
/// ssh_authorized_keys_local, with_mount_unit, boot_device, grub.users). Diagnostics use Butane field paths and
/// the line/column of the YAML the person typed. Unknown keys are warnings.
/// </summary>
public static class ButaneTranslator
{
    /// <summary>Deepest YAML nesting accepted (a Butane config needs about ten levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>Each supported Butane variant/version and the Ignition spec it produces (as upstream maps them).</summary>
    public static IReadOnlyList<(string Variant, Version Butane, Version Ignition)> SupportedVersions { get; } =
    [
        ("fcos", new(1, 0, 0), new(3, 0, 0)),
        ("fcos", new(1, 1, 0), new(3, 1, 0)),
        ("fcos", new(1, 2, 0), new(3, 2, 0)),
        ("fcos", new(1, 3, 0), new(3, 2, 0)),
        ("fcos", new(1, 4, 0), new(3, 3, 0)),
        ("fcos", new(1, 5, 0), new(3, 4, 0)),
        ("fcos", new(1, 6, 0), new(3, 5, 0)),
        ("fiot", new(1, 0, 0), new(3, 4, 0)),
    ];

    /// <summary>Translates <paramref name="yaml"/>; <paramref name="filesDirectory"/> serves <c>local:</c> sources.</summary>
    public static TranslationResult Translate(string yaml, IFilesDirectory? filesDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (ConfigCompiler.CheckSize(yaml) is { } tooBig)
        {
            return tooBig;
        }

        var stream = new YamlStream();
        try
        {
            if (TooDeep(yaml) is { } deep)
            {
                return deep;
            }

            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            var message = ex.InnerException is { } inner && inner.Message.Length > 0 ? inner.Message : ex.Message;
            return TranslationResult.Fail("invalid YAML: " + StripLocation(message), null, (int)ex.Start.Line, (int)ex.Start.Column);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return TranslationResult.Fail("the config is empty: a Butane config starts with variant: and version:", null, 1, 1);
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            return TranslationResult.Fail("a Butane config is a YAML mapping (key: value lines)", null, (int)node.Start.Line, (int)node.Start.Column);
        }

        if (stream.Documents.Count > 1)
        {
            var extra = stream.Documents[1].RootNode;
            return TranslationResult.Fail("a Butane config is a single YAML document; remove the second ---", null, (int)extra.Start.Line, (int)extra.Start.Column);
        }

        return new ButaneTranslation(filesDirectory).Run(root);
    }

    /// <summary>
    /// YamlDotNet builds its node tree recursively, so deeply nested input would overflow the stack and end the
    /// process. The event parser is iterative: walk it first and refuse nesting deeper than Butane ever needs.
    /// </summary>
    private static TranslationResult? TooDeep(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        var start = parser.Current.Start;
                        return TranslationResult.Fail($"the YAML is nested more than {MaxDepth} levels deep", null, (int)start.Line, (int)start.Column);
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }

        return null;
    }

    private static string StripLocation(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the location is reported separately.
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && cut > 0 ? message[(cut + 3)..] : message;
    }
}
