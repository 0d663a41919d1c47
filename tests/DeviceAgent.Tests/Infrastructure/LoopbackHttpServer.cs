using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.DeviceAgent.Tests;

/// <summary>One HTTP request as <see cref="LoopbackHttpServer"/> read it.</summary>
internal sealed record LoopbackRequest(
    string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>An HTTP response for <see cref="LoopbackHttpServer"/> to send.</summary>
internal sealed record LoopbackResponse(int Status, byte[] Body, string ContentType = "application/json")
{
    /// <summary>More header lines, e.g. <c>Content-Range</c>.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Sends only this many bytes of <see cref="Body"/> (its full length announced), then closes: a cut.
    /// </summary>
    public int? CutAfter { get; init; }

    public static LoopbackResponse Json(int status, string json) => new(status, Encoding.UTF8.GetBytes(json));
}

/// <summary>
/// A minimal HTTP/1.1 server for test fakes, on a <see cref="TcpListener"/> bound to loopback port 0: the kernel
/// picks a free port and the server reads it back, so there is no probing for a free port and no retry.
/// (<see cref="HttpListener"/> cannot bind port 0.) One request per connection (Connection: close).
/// </summary>
/// <remarks>Also compiled into the portal tests (linked), so keep it to the BCL.</remarks>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<LoopbackRequest, LoopbackResponse> _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoopbackHttpServer(Func<LoopbackRequest, LoopbackResponse> handle)
    {
        _handle = handle;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _accepting = AcceptAsync();
    }

    /// <summary>The server's address with the port it was given, ending in a slash.</summary>
    public string BaseUrl { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        try
        {
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream, _stop.Token);
            if (request is null)
            {
                return;
            }

            var response = _handle(request);
            var headers = (response.Headers ?? new Dictionary<string, string>()).Select(h => $"{h.Key}: {h.Value}\r\n");
            var head = $"HTTP/1.1 {response.Status.ToString(CultureInfo.InvariantCulture)} Status\r\n"
                + $"Content-Type: {response.ContentType}\r\n"
                + $"Content-Length: {response.Body.Length.ToString(CultureInfo.InvariantCulture)}\r\n"
                + string.Concat(headers)
                + "Connection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
            await stream.WriteAsync(response.Body.AsMemory(0, response.CutAfter ?? response.Body.Length), _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            // The client went away, or the server is stopping.
        }
    }

    private static async Task<LoopbackRequest?> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var requestLine = await ReadLineAsync(stream, cancellationToken);
        if (string.IsNullOrEmpty(requestLine))
        {
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(stream, cancellationToken); !string.IsNullOrEmpty(line);
            line = await ReadLineAsync(stream, cancellationToken))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out var length))
        {
            await CopyAsync(stream, body, int.Parse(length, CultureInfo.InvariantCulture), cancellationToken);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding)
            && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (int.Parse((await ReadLineAsync(stream, cancellationToken)).Split(';')[0], NumberStyles.HexNumber,
                CultureInfo.InvariantCulture) is var size and > 0)
            {
                await CopyAsync(stream, body, size, cancellationToken);
                await ReadLineAsync(stream, cancellationToken);
            }

            await ReadLineAsync(stream, cancellationToken);
        }

        var parts = requestLine.Split(' ');
        var target = parts[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        return new LoopbackRequest(
            parts[0],
            question < 0 ? target : target[..question],
            question < 0 ? string.Empty : target[question..],
            headers,
            body.ToArray());
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) == 1)
        {
            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    private static async Task CopyAsync(Stream from, Stream to, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await from.ReadExactlyAsync(buffer, cancellationToken);
        await to.WriteAsync(buffer, cancellationToken);
    }
}
