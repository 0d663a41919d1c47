using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>Keeps the latest <see cref="ConfigReport"/> per device (called by the ingest batch, in its transaction).</summary>
internal static class ConfigReports
{
    public const int MaxEntries = 10_000;

    public static async Task ApplyAsync(FleetDbContext db, Device device, ConfigReport report, DateTimeOffset receivedAt, ILogger logger, CancellationToken cancellationToken)
    {
        var problem = report.Version is not { Length: > 0 and <= 128 } ? "version must be 1 to 128 characters"
            : report.Entries is null ? "entries is missing"
            : report.Entries.Count > MaxEntries ? $"more than {MaxEntries} entries"
            : report.Entries.Any(e => e is null || e.Target is not { Length: > 0 and <= 4096 } || !Enum.IsDefined(e.Kind) || !Enum.IsDefined(e.Outcome)) ? "an entry has no target, a target over 4096 characters, or an unknown kind/outcome"
            : null;
        if (problem is not null)
        {
            logger.LogWarning("Config report from device {DeviceId:N} dropped: {Problem}", device.Id, problem);
            return;
        }

        var row = db.DeviceConfigReports.Local.FirstOrDefault(r => r.DeviceId == device.Id)
            ?? await db.DeviceConfigReports.SingleOrDefaultAsync(r => r.DeviceId == device.Id, cancellationToken);
        if (row is null)
        {
            row = new DeviceConfigReport { DeviceId = device.Id, Version = report.Version, EntriesJson = "[]" };
            db.DeviceConfigReports.Add(row);
        }

        row.Version = report.Version;
        row.CheckedAt = report.CheckedAt;
        row.ReceivedAt = receivedAt;
        row.EntriesJson = JsonSerializer.Serialize(report.Entries!.ToList(), ConfigJson.Default.ListConfigEntryResult);
        row.Error = report.Error is { Length: > 2000 } e ? e[..2000] : report.Error;
    }

    public static IReadOnlyList<ConfigEntryResult> Entries(DeviceConfigReport report) =>
        JsonSerializer.Deserialize(report.EntriesJson, ConfigJson.Default.ListConfigEntryResult) ?? [];
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<ConfigEntryResult>))]
internal sealed partial class ConfigJson : System.Text.Json.Serialization.JsonSerializerContext;
