using System.Text;
using System.Text.Json;

namespace Fleet.Portal.Features.Configs;

/// <summary>Where each value of a JSON document starts (path like <c>storage.files[0].path</c> → line, column), so findings can be located.</summary>
internal static class JsonLocations
{
    public static Dictionary<string, (int Line, int Column)> Map(string json)
    {
        var map = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var stack = new Stack<(bool IsArray, string Path, int Index)>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var path = Record(ref reader);
                        stack.Push((reader.TokenType == JsonTokenType.StartArray, path, 0));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        stack.Pop();
                        if (stack.Count > 0 && stack.Peek().IsArray)
                        {
                            var top = stack.Pop();
                            stack.Push(top with { Index = top.Index + 1 });
                        }

                        break;
                    default:
                        Record(ref reader);
                        if (stack.Count > 0 && stack.Peek().IsArray)
                        {
                            var top = stack.Pop();
                            stack.Push(top with { Index = top.Index + 1 });
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Locations up to the syntax error are still useful; the error itself is reported by the parser.
        }

        return map;

        string Record(ref Utf8JsonReader r)
        {
            var path = stack.Count == 0 ? string.Empty
                : stack.Peek().IsArray ? $"{stack.Peek().Path}[{stack.Peek().Index}]"
                : stack.Peek().Path.Length == 0 ? property ?? string.Empty : $"{stack.Peek().Path}.{property}";
            var offset = (int)r.TokenStartIndex;
            var line = lineStarts.BinarySearch(offset);
            line = line >= 0 ? line : ~line - 1;
            map.TryAdd(path, (line + 1, offset - lineStarts[line] + 1));
            return path;
        }
    }
}
