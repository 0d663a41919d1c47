using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Reports a concern makes on its own time for the device loop to publish. Every member is quick and thread-safe.
/// </summary>
public interface IReportSource<TReport>
    where TReport : class
{
    /// <summary>Raised, on any thread, when <see cref="NextReport"/> has something to send.</summary>
    event EventHandler? ReportReady;

    /// <summary>The next report to publish, or null.</summary>
    TReport? NextReport();

    /// <summary>The broker acknowledged <paramref name="report"/>.</summary>
    void Delivered(TReport report);
}

/// <summary>
/// A module whose concern makes reports on its own time: publishes them while connected, one per turn of the device
/// loop; when the broker refuses one (an older portal refuses the topic, a busy one answers 0x80) it waits a minute
/// before trying again.
/// </summary>
public abstract class ReportingModule<TReport> : IDeviceModule
    where TReport : class
{
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(60);

    private readonly IReportSource<TReport> _queue;
    private readonly Func<string, string> _topic;
    private readonly JsonTypeInfo<TReport> _typeInfo;
    private readonly string _what;
    private DateTimeOffset _refusedUntil = DateTimeOffset.MinValue;

    /// <param name="queue">Where the reports come from.</param>
    /// <param name="topic">The report topic of a device id.</param>
    /// <param name="typeInfo">How a report is serialised.</param>
    /// <param name="what">What a report is called in the log, e.g. "config report".</param>
    /// <param name="logger">Where refusals are logged.</param>
    protected ReportingModule(
        IReportSource<TReport> queue,
        Func<string, string> topic,
        JsonTypeInfo<TReport> typeInfo,
        string what,
        ILogger logger)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _topic = topic;
        _typeInfo = typeInfo;
        _what = what;
        Logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    protected ILogger Logger { get; }

    public abstract void AddTopics(string deviceId, ICollection<ModuleTopic> topics);

    public abstract ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken);

    public virtual void OnOnline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _refusedUntil = DateTimeOffset.MinValue;
        _queue.ReportReady += session.Wake;
    }

    public void OnOffline(DeviceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _queue.ReportReady -= session.Wake;
    }

    public async ValueTask<bool> TrySendAsync(
        DeviceSession session,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (now < _refusedUntil || _queue.NextReport() is not { } report)
        {
            return false;
        }

        if (await session.PublishAsync(_topic(session.DeviceId), report, _typeInfo, cancellationToken))
        {
            _queue.Delivered(report);
            return true;
        }

        _refusedUntil = now + RefusedRetry;
        Logger.LogWarning(
            "The broker refused a {What} of device {DeviceId}; trying again in {Seconds} s",
            _what, session.DeviceId, RefusedRetry.TotalSeconds);
        return false;
    }

    public DateTimeOffset NextDue(DateTimeOffset now) =>
        _refusedUntil > now ? _refusedUntil : DateTimeOffset.MaxValue;
}
