using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>
/// The portal's update endpoints as the agent sees them, on <see cref="HttpListener"/>: Cincinnati
/// <c>GET /v1/graph</c> serving a graph shaped like <c>zincati-cincinnati-response.json</c>, and
/// FleetLock <c>POST /v1/pre-reboot</c> / <c>/v1/steady-state</c>. Records every request.
/// </summary>
/// <remarks>Also compiled into the portal tests (linked), so keep it to the BCL.</remarks>
internal sealed class FakeUpdateServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private List<FakeOs.Release> _releases = [];
    private List<(int From, int To)> _edges = [];

    public FakeUpdateServer()
    {
        // A free port can be taken by a parallel test between probing and binding: try another one.
        for (var attempt = 1; ; attempt++)
        {
            var listener = new HttpListener();
            var url = $"http://127.0.0.1:{FreePort()}/";
            listener.Prefixes.Add(url);
            try
            {
                listener.Start();
                (_listener, BaseUrl) = (listener, url);
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }

        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }

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

    public async ValueTask DisposeAsync()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener can fail to unregister its prefix on close ("address already in use"
            // seen under a busy parallel run); the socket is closed either way.
        }

        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var request = context.Request;
            var path = request.Url!.AbsolutePath;
            var (status, body) = (request.HttpMethod, path) switch
            {
                ("GET", "/v1/graph") => Graph(request.Url.Query),
                ("POST", "/v1/pre-reboot" or "/v1/steady-state") => Lock(path, request),
                _ => (404, "{\"kind\":\"not_found\",\"value\":\"no such endpoint\"}"),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private (int, string) Graph(string query)
    {
        GraphQueries.Enqueue(query.TrimStart('?'));
        return (200, GraphJson());
    }

    private (int, string) Lock(string path, HttpListenerRequest request)
    {
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        LockRequests.Enqueue((path, request.Headers["fleet-lock-protocol"], reader.ReadToEnd()));
        return path == "/v1/pre-reboot" && !LockAvailable
            ? (409, "{\"kind\":\"failed_lock\",\"value\":\"all 1 slots of group 'default' are taken\"}")
            : (200, "{}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
