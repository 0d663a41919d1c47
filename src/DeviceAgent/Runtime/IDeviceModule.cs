namespace Fleet.DeviceAgent.Runtime;

/// <summary>A topic a module subscribes to once online, and what the device loses when the broker refuses it.</summary>
public readonly record struct ModuleTopic(string Topic, string WithoutIt);

/// <summary>
/// One concern of an enrolled device (heartbeats, health, config, updates, credential rotation). The connection loop
/// (<see cref="DeviceRuntime"/>) owns the MQTT session, reconnects and phases; a module says which topics it wants,
/// handles the messages on them and publishes what it has due. All members run on the device loop, one at a time,
/// except <see cref="RunWhileEnrolledAsync"/>. A concern that is off is a module not registered.
/// </summary>
/// <remarks>
/// The loop has one timer per connection: after asking every module to <see cref="TrySendAsync"/>, it waits for the
/// earliest <see cref="NextDue"/>, a message or a wake-up (<see cref="DeviceSession.Wake"/>). Modules are asked in
/// registration order, which is the order of their subscriptions and of their publishing.
/// </remarks>
public interface IDeviceModule
{
    /// <summary>Adds the topics to subscribe to (all in one SUBSCRIBE, before Online is announced).</summary>
    void AddTopics(string deviceId, ICollection<ModuleTopic> topics);

    /// <summary>
    /// Work for the whole enrolled life, connected or not (health sampling); ends when the token is cancelled.
    /// Modules without any return a completed task and start nothing.
    /// </summary>
    Task RunWhileEnrolledAsync(string deviceId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The connection is up: subscribed, Online announced, phase Connected.</summary>
    void OnOnline(DeviceSession session)
    {
    }

    /// <summary>The connection ended (lost, refused, rotated or stopping).</summary>
    void OnOffline(DeviceSession session)
    {
    }

    /// <summary>
    /// A message arrived on a subscribed topic (every module sees every message; each acts on its own topics).
    /// Returns true when this connection must end (the loop reconnects).
    /// </summary>
    ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken) =>
        ValueTask.FromResult(false);

    /// <summary>Publishes one thing that is due at <paramref name="now"/>; true when it did.</summary>
    ValueTask<bool> TrySendAsync(DeviceSession session, DateTimeOffset now, CancellationToken cancellationToken) =>
        ValueTask.FromResult(false);

    /// <summary>
    /// When this module next has something due, asked after it sent nothing; MaxValue: only on a wake-up.
    /// </summary>
    DateTimeOffset NextDue(DateTimeOffset now) => DateTimeOffset.MaxValue;
}
