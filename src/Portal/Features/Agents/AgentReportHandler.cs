using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// <c>fleet/devices/{id}/agent-report</c>: what became of an agent build the device was offered. Keeps the latest
/// per device (<see cref="DeviceAgentState"/>), adds a line to its history and, once committed, counts a refusal,
/// failure or roll-back against its scope's target, which halts after
/// <see cref="AgentDeliveryOptions.HaltAfterFailures"/> of them (<see cref="AgentTargetService"/>).
/// </summary>
internal sealed class AgentReportHandler(AgentTargetService targets, ILogger<AgentReportHandler> logger)
    : IInboundHandler
{
    private readonly List<(Guid DeviceId, string Version, string? Detail)> _failures = [];

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.AgentReport)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (await batch.DeviceAsync(message, cancellationToken) is not { } device
            || !batch.TryRead(message, FleetJson.Default.AgentUpdateReport, out var report))
        {
            return;
        }

        if (Problem(report) is { } problem)
        {
            logger.LogWarning("Agent report from device {DeviceId:N} dropped: {Problem}", device.Id, problem);
            return;
        }

        var db = batch.Db;
        var state = await db.DeviceAgentStates.FindAsync([device.Id], cancellationToken);
        if (state is null)
        {
            db.DeviceAgentStates.Add(state = new DeviceAgentState { DeviceId = device.Id });
        }

        state.ReportedVersion = report.Version;
        state.LastResult = report.Result;
        state.LastDetail = report.Detail;
        state.LastResultAt = message.ReceivedAt;
        batch.AddEvent(device.Id, message.ReceivedAt, "agent", Describe(report));
        if (AgentRollout.IsFailure(report.Result))
        {
            _failures.Add((device.Id, report.Version, report.Detail));
        }
    }

    /// <summary>The report is stored whatever the count of failures does with it.</summary>
    public async Task CommittedAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await targets.RecordFailuresAsync(_failures, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "{Count} failed agent self-updates could not be counted", _failures.Count);
        }
    }

    /// <summary>A line of the device's history, as its page shows it.</summary>
    public static string Describe(AgentUpdateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var what = report.Result switch
        {
            AgentUpdateResult.Installed => $"Agent {report.Version} installed",
            AgentUpdateResult.Refused => $"Agent {report.Version} refused",
            AgentUpdateResult.Failed => $"Agent update to {report.Version} failed",
            _ => $"Agent {report.Version} rolled back",
        };
        return report.Detail is { Length: > 0 } detail ? $"{what}: {detail}" : what;
    }

    private static string? Problem(AgentUpdateReport report) =>
        report.Version is not { Length: > 0 and <= Protocol.MaxAgentVersionLength }
            ? $"version must be 1 to {Protocol.MaxAgentVersionLength} characters"
        : !Enum.IsDefined(report.Result) ? "result is not Installed, Refused, Failed or RolledBack"
        : report.Detail is { Length: > Protocol.MaxUpdateErrorLength }
            ? $"detail is longer than {Protocol.MaxUpdateErrorLength} characters"
        : null;
}
