using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Fleet.DeviceAgent.Updates;

/// <summary>A release in a Cincinnati graph.</summary>
public sealed record CincinnatiNode(string Version, string Payload, IReadOnlyDictionary<string, string> Metadata)
{
    public const string AgeIndexKey = "org.fedoraproject.coreos.releases.age_index";

    public const string SchemeKey = "org.fedoraproject.coreos.scheme";

    /// <summary>Newer releases have a higher age index; -1 when missing.</summary>
    public long AgeIndex => Metadata.TryGetValue(AgeIndexKey, out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) ? index : -1;

    /// <summary>Whether <see cref="Payload"/> is an OSTree commit (scheme <c>checksum</c>) rather than, e.g., a container image.</summary>
    public bool IsChecksumPayload => Metadata.TryGetValue(SchemeKey, out var scheme) && scheme == "checksum";
}

/// <summary>A Cincinnati update graph: releases, and the edges (from, to) a client may take.</summary>
public sealed record CincinnatiGraph(IReadOnlyList<CincinnatiNode> Nodes, IReadOnlyList<(int From, int To)> Edges)
{
    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="FormatException">Not a graph.</exception>
    public static CincinnatiGraph Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array
            || !root.TryGetProperty("edges", out var edges) || edges.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("a graph has 'nodes' and 'edges' arrays");
        }

        var parsed = new List<CincinnatiNode>();
        foreach (var node in nodes.EnumerateArray())
        {
            if (node.ValueKind != JsonValueKind.Object
                || !node.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String
                || !node.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.String)
            {
                throw new FormatException($"node {parsed.Count} needs 'version' and 'payload' strings");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in meta.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.String))
                {
                    metadata[entry.Name] = entry.Value.GetString()!;
                }
            }

            parsed.Add(new CincinnatiNode(version.GetString()!, payload.GetString()!, metadata));
        }

        var pairs = new List<(int, int)>();
        foreach (var edge in edges.EnumerateArray())
        {
            if (edge.ValueKind != JsonValueKind.Array || edge.GetArrayLength() != 2
                || !edge[0].TryGetInt32(out var from) || !edge[1].TryGetInt32(out var to)
                || from < 0 || to < 0 || from >= parsed.Count || to >= parsed.Count)
            {
                throw new FormatException($"edge {pairs.Count} is not a pair of node indices");
            }

            pairs.Add((from, to));
        }

        return new CincinnatiGraph(parsed, pairs);
    }
}

/// <summary>Who is asking, as Zincati sends it in the graph query.</summary>
public sealed record GraphQuery(string Basearch, string Stream, string OsVersion, string OsChecksum, string Group, string NodeUuid, string Platform);

/// <summary>The update server answered with an error (<c>{"kind","value"}</c>) or something that is not a graph.</summary>
public sealed class UpdateServerException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Asks a Cincinnati server for the update graph, the way Zincati does.</summary>
public sealed class CincinnatiClient(HttpClient http)
{
    public async Task<CincinnatiGraph> GetGraphAsync(string baseUrl, GraphQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new (string, string)[]
        {
            ("basearch", query.Basearch),
            ("stream", query.Stream),
            ("os_version", query.OsVersion),
            ("os_checksum", query.OsChecksum),
            ("group", query.Group),
            ("node_uuid", query.NodeUuid),
            ("platform", query.Platform),
        };
        var url = new Uri(new Uri(baseUrl), "v1/graph?" + string.Join('&', parameters.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}")));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new UpdateServerException($"GET {url.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}: {ServerError.Describe(body)}");
        }

        try
        {
            return CincinnatiGraph.Parse(body);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new UpdateServerException($"GET {url.GetLeftPart(UriPartial.Path)} returned no usable graph: {ex.Message}", ex);
        }
    }
}

/// <summary>Cincinnati and FleetLock report errors as <c>{"kind":"…","value":"…"}</c>.</summary>
internal static class ServerError
{
    public static string Describe(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out var kind) && root.TryGetProperty("value", out var value))
            {
                return $"{kind.GetString()}: {value.GetString()}";
            }
        }
        catch (JsonException)
        {
            // Not the protocol's error shape; show the start of whatever it is.
        }

        return body.Length <= 200 ? body : body[..200];
    }
}
