using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Parses JSON into a <see cref="JsonNode"/> tree while recording each node's line and column.</summary>
internal static class LocatedJson
{
    private const int MaxDepth = 64;

    /// <summary>
    /// Parses <paramref name="json"/>; on a syntax error returns null and adds a located error. Duplicate keys
    /// become warnings (Ignition, like Go's decoder, keeps the last value).
    /// </summary>
    public static JsonNode? Parse(string json, SourceMap map, List<ConfigDiagnostic> diagnostics)
    {
        var root = Parse(json, map, diagnostics, out var error);
        if (error is not null)
        {
            diagnostics.Add(error);
        }

        return root;
    }

    private static JsonNode? Parse(string json, SourceMap map, List<ConfigDiagnostic> found, out ConfigDiagnostic? error)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var lines = new LineIndex(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        error = null;
        try
        {
            if (!reader.Read())
            {
                error = new ConfigDiagnostic(DiagnosticSeverity.Error, "invalid JSON: the document is empty", null, 1, 1);
                return null;
            }

            var root = ReadValue(ref reader, "", map, lines, found);
            if (reader.Read())
            {
                var (line, column) = lines.Locate(reader.TokenStartIndex);
                error = new ConfigDiagnostic(DiagnosticSeverity.Error, "invalid JSON: unexpected content after the end of the document", null, line, column);
                return null;
            }

            return root;
        }
        catch (JsonException ex)
        {
            var line = (int)(ex.LineNumber ?? 0) + 1;
            var column = (int)(ex.BytePositionInLine ?? 0) + 1;
            error = new ConfigDiagnostic(DiagnosticSeverity.Error, "invalid JSON: " + FirstSentence(ex.Message), null, line, column);
            return null;
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string path, SourceMap map, LineIndex lines, List<ConfigDiagnostic> found)
    {
        var (line, column) = lines.Locate(reader.TokenStartIndex);
        var span = new SourceSpan(path, line, column);
        JsonNode? node;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    var (keyLine, keyColumn) = lines.Locate(reader.TokenStartIndex);
                    var childPath = JsonPaths.Join(path, key);
                    reader.Read();
                    var child = ReadValue(ref reader, childPath, map, lines, found);
                    if (obj.ContainsKey(key))
                    {
                        found.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, $"duplicate key \"{key}\": the last value wins", childPath, keyLine, keyColumn));
                        obj.Remove(key);
                    }

                    obj[key] = child;
                    map.Key(obj, key, new SourceSpan(childPath, keyLine, keyColumn));
                }

                node = obj;
                break;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, JsonPaths.Join(path, array.Count), map, lines, found));
                }

                node = array;
                break;
            case JsonTokenType.String:
                node = JsonValue.Create(reader.GetString());
                break;
            case JsonTokenType.Number:
                // Keep the literal (not a double): 1e400 must stay a located type error, not become infinity.
                node = reader.TryGetInt64(out var integer) ? JsonValue.Create(integer) : JsonValue.Create(JsonElement.ParseValue(ref reader));
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                node = JsonValue.Create(reader.GetBoolean());
                break;
            default:
                node = null;
                break;
        }

        map.Node(node, span);
        return node;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>Turns byte offsets in UTF-8 text into 1-based line/column (columns count characters).</summary>
internal sealed class LineIndex
{
    private readonly byte[] utf8;
    private readonly List<int> lineStarts = [0];

    public LineIndex(byte[] utf8)
    {
        this.utf8 = utf8;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }
    }

    public (int Line, int Column) Locate(long offset)
    {
        var index = lineStarts.BinarySearch((int)offset);
        var line = index >= 0 ? index : ~index - 1;
        var column = Encoding.UTF8.GetCharCount(utf8, lineStarts[line], (int)offset - lineStarts[line]);
        return (line + 1, column + 1);
    }
}
