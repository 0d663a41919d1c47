using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>How simulated devices answer commands: how long a command runs and which share of devices fail it.
/// </summary>
/// <param name="Duration">From Running to the result (ping answers at once).</param>
/// <param name="FailurePercent">0–100: devices whose index modulo 100 is below this fail every command but ping
/// (<see cref="SimulatedCommands.Fails"/>), so a test knows which.</param>
public sealed record SimulatedCommandBehaviour(TimeSpan Duration, int FailurePercent = 0);

/// <summary>
/// A simulated device's command side: reads <see cref="CommandRequest"/>s on <see cref="Topics.Commands"/>, runs
/// each id once, and answers with <see cref="CommandResult"/>s: ping Succeeded at once; a kind it does not know
/// Failed with a reason; an expired one Expired; any other Delivered and Running at once, then after
/// <see cref="SimulatedCommandBehaviour.Duration"/> Succeeded, or Failed with exit code 1 on a failing device.
/// Nothing runs: no process, no task or timer per command; results wait in a queue the device loop sends from.
/// </summary>
public sealed class SimulatedCommands(
    int index, SimulatedCommandBehaviour behaviour, TimeProvider time, ILogger logger) : IDeviceModule
{
    /// <summary>Ids remembered for de-duplication, per device (older ones are forgotten first).</summary>
    internal const int Remembered = 256;

    private readonly PriorityQueue<CommandResult, (DateTimeOffset Due, long Order)> _due = new();
    private readonly Dictionary<string, CommandResult?> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private long _order;
    private string? _topic;

    /// <summary>Whether device <paramref name="index"/> fails its commands at <paramref name="percent"/>.</summary>
    public static bool Fails(int index, int percent) => index % 100 < percent;

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _topic = Topics.Commands(deviceId);
        topics.Add(new(_topic, "commands will not reach this simulated device"));
    }

    public ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (topic != _topic)
        {
            return ValueTask.FromResult(false);
        }

        if (!MessageJson.TryDeserialize(payload, FleetJson.Default.CommandRequest, out var command)
            || command.Id is not { Length: > 0 and <= Protocol.MaxCommandIdLength } || command.Kind is null)
        {
            logger.LogWarning("Device {DeviceId} ignores an unreadable command on {Topic}", session.DeviceId, topic);
            return ValueTask.FromResult(false);
        }

        var now = time.GetUtcNow();
        if (_seen.TryGetValue(command.Id, out var final))
        {
            // Sent again (a reconnect, a portal restart): not run again; a finished one is answered again.
            if (final is not null)
            {
                Enqueue(final with { At = now }, now);
            }

            return ValueTask.FromResult(false);
        }

        Remember(command.Id);
        foreach (var result in Answer(command, now))
        {
            Enqueue(result, result.At);
        }

        return ValueTask.FromResult(false);
    }

    public async ValueTask<bool> TrySendAsync(
        DeviceSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!_due.TryPeek(out var result, out var due) || due.Due > now)
        {
            return false;
        }

        _due.Dequeue();
        if (result.State is not (CommandState.Delivered or CommandState.Running) && _seen.ContainsKey(result.Id))
        {
            _seen[result.Id] = result;
        }

        if (!await session.PublishAsync(
                Topics.CommandResult(session.DeviceId), result with { At = now }, FleetJson.Default.CommandResult,
                cancellationToken))
        {
            logger.LogWarning("The broker refused a command result of device {DeviceId}", session.DeviceId);
        }

        return true;
    }

    public DateTimeOffset NextDue(DateTimeOffset now) =>
        _due.TryPeek(out _, out var due) ? due.Due : DateTimeOffset.MaxValue;

    /// <summary>The results a command gets, each at the time it is due.</summary>
    internal IEnumerable<CommandResult> Answer(CommandRequest command, DateTimeOffset now)
    {
        if (command.ExpiresAt <= now)
        {
            yield return new(command.Id, CommandState.Expired, now, Detail: "expired before it started");
            yield break;
        }

        if (!CommandKinds.All.Contains(command.Kind))
        {
            yield return new(command.Id, CommandState.Failed, now, Detail: $"unknown command kind '{command.Kind}'");
            yield break;
        }

        if (command.Kind == CommandKinds.Ping)
        {
            yield return new(command.Id, CommandState.Succeeded, now, ExitCode: 0, Output: "pong");
            yield break;
        }

        yield return new(command.Id, CommandState.Delivered, now);
        yield return new(command.Id, CommandState.Running, now);
        var done = now + behaviour.Duration;
        yield return Fails(index, behaviour.FailurePercent)
            ? new(command.Id, CommandState.Failed, done, ExitCode: 1, Error: "simulated failure",
                Detail: $"simulated: device {index + 1} fails {command.Kind}")
            : new(command.Id, CommandState.Succeeded, done, ExitCode: 0, Output: $"simulated {command.Kind}");
    }

    private void Enqueue(CommandResult result, DateTimeOffset due) => _due.Enqueue(result, (due, _order++));

    private void Remember(string id)
    {
        _seen[id] = null;
        _seenOrder.Enqueue(id);
        if (_seenOrder.Count > Remembered)
        {
            _seen.Remove(_seenOrder.Dequeue());
        }
    }
}
