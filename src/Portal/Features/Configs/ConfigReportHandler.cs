using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary><c>fleet/devices/{id}/config-report</c>: keeps the latest <see cref="ConfigReport"/> per device.</summary>
internal sealed class ConfigReportHandler(ILogger<ConfigReportHandler> logger) : IInboundHandler
{
    public const int MaxEntries = 10_000;

    public IReadOnlyCollection<InboundKind> Kinds { get; } = [InboundKind.Of(TopicKind.ConfigReport)];

    public async Task HandleAsync(InboundMessage message, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        if (await batch.DeviceAsync(message, cancellationToken) is not { } device
            || !batch.TryRead(message, FleetJson.Default.ConfigReport, out var report))
        {
            return;
        }

        if (Problem(report) is { } problem)
        {
            logger.LogWarning("Config report from device {DeviceId:N} dropped: {Problem}", device.Id, problem);
            return;
        }

        var db = batch.Db;
        var row = db.DeviceConfigReports.Local.FirstOrDefault(r => r.DeviceId == device.Id)
            ?? await db.DeviceConfigReports.SingleOrDefaultAsync(r => r.DeviceId == device.Id, cancellationToken);
        if (row is null)
        {
            row = new DeviceConfigReport { DeviceId = device.Id, Version = report.Version, EntriesJson = "[]" };
            db.DeviceConfigReports.Add(row);
        }

        row.Version = report.Version;
        row.CheckedAt = report.CheckedAt;
        row.ReceivedAt = message.ReceivedAt;
        row.EntriesJson = JsonSerializer.Serialize(report.Entries!.ToList(), ConfigJson.Default.ListConfigEntryResult);
        row.Error = report.Error is { Length: > 2000 } e ? e[..2000] : report.Error;
        batch.Reported.Add(device.Id);
    }

    /// <summary>The entries a stored report holds.</summary>
    public static IReadOnlyList<ConfigEntryResult> Entries(DeviceConfigReport report) =>
        JsonSerializer.Deserialize(report.EntriesJson, ConfigJson.Default.ListConfigEntryResult) ?? [];

    private static string? Problem(ConfigReport report) =>
        report.Version is not { Length: > 0 and <= 128 } ? "version must be 1 to 128 characters"
        : report.Entries is null ? "entries is missing"
        : report.Entries.Count > MaxEntries ? $"more than {MaxEntries} entries"
        : report.Entries.Any(e => e is null || e.Target is not { Length: > 0 and <= 4096 }
            || !Enum.IsDefined(e.Kind) || !Enum.IsDefined(e.Outcome))
            ? "an entry has no target, a target over 4096 characters, or an unknown kind/outcome"
        : null;
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<ConfigEntryResult>))]
internal sealed partial class ConfigJson : System.Text.Json.Serialization.JsonSerializerContext;
