using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// The bounded hand-off between the broker and the ingest pipeline. Full means
/// publishers wait (back-pressure), never that messages are dropped.
/// </summary>
internal sealed class IngestQueue(IOptions<MqttOptions> options, ILogger<IngestQueue> logger)
{
    private readonly Channel<InboundMessage> _channel = Channel.CreateBounded<InboundMessage>(
        new BoundedChannelOptions(options.Value.IngestQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });

    public ChannelReader<InboundMessage> Reader => _channel.Reader;

    public int Count => _channel.Reader.Count;

    /// <summary>Queues a message and waits until the pipeline has committed (or refused) it.</summary>
    public async Task EnqueueAndWaitAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        await _channel.Writer.WriteAsync(message, cancellationToken);
        await message.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Queues a message nobody waits for (disconnects, timer sweeps).</summary>
    public void Post(InboundMessage message)
    {
        if (!_channel.Writer.TryWrite(message))
        {
            // Only when the queue is full; the presence sweep catches up with whatever this was.
            _ = WriteLaterAsync(message);
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    private async Task WriteLaterAsync(InboundMessage message)
    {
        try
        {
            await _channel.Writer.WriteAsync(message);
        }
        catch (ChannelClosedException)
        {
            logger.LogDebug("Ingest queue closed; {Kind} for {Id} dropped at shutdown", message.Kind, message.Id);
        }
    }
}
