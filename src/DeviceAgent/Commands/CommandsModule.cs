using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Commands;

/// <summary>
/// Commands on the wire: <c>commands</c> in, <c>command-result</c> and <c>command-upload</c> out, one message per turn
/// of the device loop. The <see cref="CommandLedger"/> runs them for the whole enrolled life, connected or not.
/// </summary>
public sealed class CommandsModule(CommandLedger ledger, ILogger logger) : IDeviceModule
{
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(60);
    private string? _topic;
    private DateTimeOffset _refusedUntil = DateTimeOffset.MinValue;

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _topic = Topics.Commands(deviceId);
        topics.Add(new(_topic, "no commands reach this device"));
    }

    public Task RunWhileEnrolledAsync(string deviceId, CancellationToken cancellationToken) =>
        ledger.RunAsync(cancellationToken);

    public void OnOnline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _refusedUntil = DateTimeOffset.MinValue;
        ledger.ReportReady += session.Wake;
    }

    public void OnOffline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        ledger.ReportReady -= session.Wake;
    }

    public ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        if (topic == _topic)
        {
            ledger.Receive(payload);
        }

        return ValueTask.FromResult(false);
    }

    public async ValueTask<bool> TrySendAsync(
        DeviceSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (now < _refusedUntil || ledger.Next() is not { } message)
        {
            return false;
        }

        var sent = message.Upload is { } upload
            ? await session.PublishAsync(
                Topics.CommandUpload(session.DeviceId), upload, FleetJson.Default.CommandUpload, cancellationToken)
            : await session.PublishAsync(
                Topics.CommandResult(session.DeviceId), message.Result!, FleetJson.Default.CommandResult,
                cancellationToken);
        if (sent)
        {
            ledger.Sent(message);
            return true;
        }

        _refusedUntil = now + RefusedRetry;
        logger.LogWarning("The broker refused a command result of device {DeviceId}; trying again in {Seconds} s",
            session.DeviceId, RefusedRetry.TotalSeconds);
        return false;
    }

    public DateTimeOffset NextDue(DateTimeOffset now) =>
        _refusedUntil > now ? _refusedUntil : DateTimeOffset.MaxValue;
}
