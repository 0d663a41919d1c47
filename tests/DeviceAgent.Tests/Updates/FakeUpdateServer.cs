using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>
/// The portal's update endpoints as the agent sees them, on a <see cref="LoopbackHttpServer"/>: Cincinnati
/// <c>GET /v1/graph</c> serving a graph shaped like <c>zincati-cincinnati-response.json</c>, and
/// FleetLock <c>POST /v1/pre-reboot</c> / <c>/v1/steady-state</c>. Records every request.
/// </summary>
/// <remarks>Also compiled into the portal tests (linked), so keep it to the BCL.</remarks>
internal sealed class FakeUpdateServer : IAsyncDisposable
{
    private readonly LoopbackHttpServer _server;
    private readonly Lock _gate = new();
    private List<FakeOs.Release> _releases = [];
    private List<(int From, int To)> _edges = [];

    public FakeUpdateServer() => _server = new LoopbackHttpServer(Handle);

    public string BaseUrl => _server.BaseUrl;

    /// <summary>Whether pre-reboot grants the lock (409 with a FleetLock error otherwise).</summary>
    public bool LockAvailable { get; set; } = true;

    /// <summary>The query string of every graph request.</summary>
    public ConcurrentQueue<string> GraphQueries { get; } = new();

    /// <summary>Every FleetLock request: path, the fleet-lock-protocol header and the body.</summary>
    public ConcurrentQueue<(string Path, string? Header, string Body)> LockRequests { get; } = new();

    /// <summary>Serves these releases with an edge from every release to every newer one (by timestamp).</summary>
    public void Offer(params FakeOs.Release[] releases)
    {
        var ordered = releases.OrderBy(r => r.Timestamp).ToList();
        var edges = new List<(int, int)>();
        for (var from = 0; from < ordered.Count; from++)
        {
            for (var to = from + 1; to < ordered.Count; to++)
            {
                edges.Add((from, to));
            }
        }

        lock (_gate)
        {
            (_releases, _edges) = (ordered, edges);
        }
    }

    public string GraphJson()
    {
        lock (_gate)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteStartArray("nodes");
                for (var i = 0; i < _releases.Count; i++)
                {
                    json.WriteStartObject();
                    json.WriteString("version", _releases[i].Version);
                    json.WriteStartObject("metadata");
                    json.WriteString("org.fedoraproject.coreos.releases.age_index", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    json.WriteString("org.fedoraproject.coreos.scheme", "checksum");
                    json.WriteEndObject();
                    json.WriteString("payload", _releases[i].Checksum);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("edges");
                foreach (var (from, to) in _edges)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(from);
                    json.WriteNumberValue(to);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private LoopbackResponse Handle(LoopbackRequest request)
    {
        var (status, body) = (request.Method, request.Path) switch
        {
            ("GET", "/v1/graph") => Graph(request.Query),
            ("POST", "/v1/pre-reboot" or "/v1/steady-state") => Lock(request),
            _ => (404, "{\"kind\":\"not_found\",\"value\":\"no such endpoint\"}"),
        };
        return LoopbackResponse.Json(status, body);
    }

    private (int, string) Graph(string query)
    {
        GraphQueries.Enqueue(query.TrimStart('?'));
        return (200, GraphJson());
    }

    private (int, string) Lock(LoopbackRequest request)
    {
        var body = Encoding.UTF8.GetString(request.Body);
        LockRequests.Enqueue((request.Path, request.Header("fleet-lock-protocol"), body));
        return request.Path == "/v1/pre-reboot" && !LockAvailable
            ? (409, "{\"kind\":\"failed_lock\",\"value\":\"all 1 slots of group 'default' are taken\"}")
            : (200, "{}");
    }
}
