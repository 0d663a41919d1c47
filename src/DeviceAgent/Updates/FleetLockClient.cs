using System.Text;
using System.Text.Json;

namespace Fleet.DeviceAgent.Updates;

/// <summary>The answer of a FleetLock server: granted, or why not.</summary>
public readonly record struct LockResult(bool Granted, string? Reason);

/// <summary>
/// FleetLock, the reboot lock Zincati's <c>fleet_lock</c> strategy uses: <c>POST {base}/v1/pre-reboot</c>
/// takes a slot of the group's semaphore, <c>POST {base}/v1/steady-state</c> gives it back; header
/// <c>fleet-lock-protocol: true</c>, body <c>{"client_params":{"id":…,"group":…}}</c>, 200 means yes.
/// </summary>
public sealed class FleetLockClient(HttpClient http)
{
    public Task<LockResult> PreRebootAsync(string baseUrl, string nodeUuid, string group, CancellationToken cancellationToken) =>
        PostAsync(baseUrl, "v1/pre-reboot", nodeUuid, group, cancellationToken);

    public Task<LockResult> SteadyStateAsync(string baseUrl, string nodeUuid, string group, CancellationToken cancellationToken) =>
        PostAsync(baseUrl, "v1/steady-state", nodeUuid, group, cancellationToken);

    internal static byte[] Body(string nodeUuid, string group)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("client_params");
            json.WriteString("id", nodeUuid);
            json.WriteString("group", group);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<LockResult> PostAsync(string baseUrl, string path, string nodeUuid, string group, CancellationToken cancellationToken)
    {
        // Relative to the base, as Zincati joins it: a base with a path must end with '/'.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(baseUrl), path))
        {
            Content = new ByteArrayContent(Body(nodeUuid, group)),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("fleet-lock-protocol", "true");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return new LockResult(true, null);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new LockResult(false, $"{(int)response.StatusCode} {ServerError.Describe(body)}");
    }
}
