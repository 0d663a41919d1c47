using System.Globalization;
using System.Text.Json;

namespace Fleet.Portal.Features.Updates;

public sealed record SettingsDto(string DefaultStream, int FailureThresholdPercent, int FailureMinimumSample, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public static SettingsDto From(UpdateSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.DefaultStream, s.FailureThresholdPercent, s.FailureMinimumSample, s.UpdatedAt, s.UpdatedBy);
    }
}

/// <param name="Until">When the pause ends by itself; null: when lifted.</param>
/// <param name="Reason">Why updates are paused; shown to operators.</param>
public sealed record PauseDto(string? Reason, DateTimeOffset? Until);

public sealed record ReasonDto(string? Reason);

public sealed record PinDto(string? Version);

public sealed record DeviceIdsDto(IReadOnlyList<Guid>? DeviceIds);

/// <param name="GroupId">Null: the default group.</param>
public sealed record DeviceGroupDto(int? GroupId);

/// <param name="Stream">Null: follow the group's stream.</param>
public sealed record DeviceStreamDto(string? Stream);

/// <summary>
/// Documents to import, each either inline (the JSON itself) or by URL; or <see cref="FedoraCoreOs"/>
/// to fetch all three from builds.coreos.fedoraproject.org for the stream.
/// </summary>
public sealed record ImportDto(
    string? ReleasesUrl = null,
    string? UpdatesUrl = null,
    string? StreamMetadataUrl = null,
    JsonElement? Releases = null,
    JsonElement? Updates = null,
    JsonElement? StreamMetadata = null,
    bool FedoraCoreOs = false);

public sealed record ImportReportDto(int Added, int Updated, int Unchanged, int Removed, int PoliciesApplied, IReadOnlyList<string> Notes);

/// <param name="Days">Day names (Monday … Sunday).</param>
/// <param name="StartUtc">"HH:mm", UTC.</param>
/// <param name="DurationMinutes">Length of the window.</param>
/// <param name="Open">Whether the window is open now (responses only).</param>
public sealed record WindowDto(IReadOnlyList<string>? Days, string? StartUtc, int? DurationMinutes, bool? Open = null)
{
    public static WindowDto? From(MaintenanceWindow? window, bool open) => window is null ? null : new(
        [.. Enum.GetValues<DayOfWeek>().Where(d => window.Days.HasFlag(MaintenanceWindow.Flag(d))).Select(d => d.ToString())],
        window.StartUtc.ToString("HH:mm", CultureInfo.InvariantCulture),
        window.DurationMinutes,
        open);
}

public sealed record GroupInputDto(
    string? Name,
    string? Description,
    string? StreamOverride,
    int? FleetLockSlots,
    WindowDto? MaintenanceWindow,
    bool? PasswordsAllowed = null)
{
    /// <summary>The service's input, or the fields that could not even be read.</summary>
    public (GroupInput? Input, Dictionary<string, string[]> Errors) ToInput()
    {
        var errors = new Dictionary<string, string[]>();
        var days = WeekDays.None;
        TimeOnly? start = null;
        if (MaintenanceWindow is { } window)
        {
            foreach (var day in window.Days ?? [])
            {
                if (Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                {
                    days |= Updates.MaintenanceWindow.Flag(parsed);
                }
                else
                {
                    errors["maintenanceWindow.days"] = [$"'{day}' is not a day of the week (Monday … Sunday)."];
                }
            }

            if (window.StartUtc is { } text)
            {
                if (TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
                {
                    start = time;
                }
                else
                {
                    errors["maintenanceWindow.startUtc"] = ["Expected HH:mm (UTC)."];
                }
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new GroupInput(Name ?? string.Empty, Description, StreamOverride, FleetLockSlots ?? 1, days, start,
                MaintenanceWindow?.DurationMinutes, PasswordsAllowed ?? true), errors);
    }
}

public sealed record GroupDto(
    int Id,
    string Name,
    string? Description,
    string? StreamOverride,
    string Stream,
    PauseInfo Pause,
    string? PinnedVersion,
    int FleetLockSlots,
    WindowDto? MaintenanceWindow,
    int DeviceCount,
    IReadOnlyList<LockHolderRow> LockHolders,
    bool PasswordsAllowed)
{
    public static GroupDto From(GroupRow g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return new(g.Id, g.Name, g.Description, g.StreamOverride, g.Stream, g.Pause, g.PinnedVersion, g.FleetLockSlots,
            WindowDto.From(g.Window, g.WindowOpen), g.DeviceCount, g.LockHolders, g.PasswordsAllowed);
    }
}
