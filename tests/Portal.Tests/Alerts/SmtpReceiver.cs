using System.Buffers;
using System.Net;
using System.Threading.Channels;
using MimeKit;
using SmtpServer;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Fleet.Portal.Tests.Alerts;

/// <summary>A real SMTP server in the test process (SmtpServer, 127.0.0.1, port 0 read back) keeping every mail.
/// </summary>
public sealed class SmtpReceiver : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<MimeMessage> _messages = Channel.CreateUnbounded<MimeMessage>();
    private Task _running = Task.CompletedTask;

    public int Port { get; private set; }

    public static async Task<SmtpReceiver> StartAsync()
    {
        var receiver = new SmtpReceiver();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("test-smtp")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, 0)))
            .Build();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(receiver._messages.Writer));
        services.Add(listeners);
        receiver._running = new SmtpServer.SmtpServer(options, services).StartAsync(receiver._stop.Token);
        receiver.Port = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return receiver;
    }

    /// <summary>The next mail, or a failure after 30 s (an upper bound, not a timing assertion).</summary>
    public async Task<MimeMessage> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _messages.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private sealed class Store(ChannelWriter<MimeMessage> messages) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            await messages.WriteAsync(await MimeMessage.LoadAsync(stream, cancellationToken), cancellationToken);
            return SmtpResponse.Ok;
        }
    }
}
