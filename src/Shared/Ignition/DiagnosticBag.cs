using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Collects diagnostics about an Ignition tree, locating them through a <see cref="SourceMap"/>.</summary>
internal sealed class DiagnosticBag(SourceMap map)
{
    public List<ConfigDiagnostic> Items { get; } = [];

    public SourceMap Map => map;

    public bool HasErrors => Items.Exists(d => d.Severity == DiagnosticSeverity.Error);

    public void Error(string message, JsonNode? owner, string? key = null) => Add(DiagnosticSeverity.Error, message, owner, key, keyOnly: false);

    /// <summary>An error located at the key itself (e.g. a field the declared spec does not have).</summary>
    public void ErrorAtKey(string message, JsonNode owner, string key) => Add(DiagnosticSeverity.Error, message, owner, key, keyOnly: true);

    public void Warning(string message, JsonNode? owner, string? key = null) => Add(DiagnosticSeverity.Warning, message, owner, key, keyOnly: false);

    public void UnknownKey(JsonObject owner, string key) =>
        Add(DiagnosticSeverity.Warning, $"unknown key \"{key}\" (ignored)", owner, key, keyOnly: true);

    public void Add(ConfigDiagnostic diagnostic) => Items.Add(diagnostic);

    private void Add(DiagnosticSeverity severity, string message, JsonNode? owner, string? key, bool keyOnly)
    {
        var span = keyOnly && owner is JsonObject obj && key is not null ? map.FindKey(obj, key) : map.Find(owner, key);
        var path = span?.Path ?? JsonPaths.Dotted(owner, key);
        if (owner is JsonArray && key is not null)
        {
            // A null list item has no node of its own: name it by index under the list.
            path = JsonPaths.Join(map.Find(owner)?.Path ?? JsonPaths.Dotted(owner), key);
        }

        Items.Add(new ConfigDiagnostic(severity, message, path, span?.Line, span?.Column));
    }
}
