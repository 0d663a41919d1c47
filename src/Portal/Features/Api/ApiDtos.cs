using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;

namespace Fleet.Portal.Features.Api;

/// <summary>A device in API responses. Never carries credential material.</summary>
public sealed record DeviceDto(
    Guid Id,
    string Hostname,
    string PrimaryMac,
    string Architecture,
    string OsName,
    string Status,
    string EnrollmentState,
    bool IsOnline,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset FirstSeenAt,
    string? Conflict,
    IReadOnlyList<string> Labels)
{
    public static DeviceDto From(DeviceRow row) => new(
        row.Id, row.Hostname, row.PrimaryMac, row.Architecture, row.OsName, row.StatusText, row.State.ToString(),
        row.IsOnline, row.LastSeenAt, row.FirstSeenAt, row.Conflict, [.. row.Labels.Select(l => l.ToString())]);
}

/// <summary>
/// Everything the API tells about one device. <see cref="EnrollmentId"/> is the device's bootstrap client id, a
/// secret of the enrolling agent: only callers who may manage devices get it (null for HelpDesk).
/// </summary>
public sealed record DeviceDetailDto(
    Guid Id,
    string? EnrollmentId,
    string Hostname,
    string MachineId,
    string? SerialNumber,
    string Architecture,
    string Kernel,
    string OsName,
    IReadOnlyDictionary<string, string> OsRelease,
    string AgentVersion,
    string Status,
    string EnrollmentState,
    bool IsOnline,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset? LastSeenAt,
    string? LastAddress,
    double? UptimeSeconds,
    double? Load1,
    double? Load5,
    double? Load15,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Conflict,
    IReadOnlyList<MacDto> Macs,
    IReadOnlyList<EventDto> RecentEvents)
{
    /// <param name="details">The device.</param>
    /// <param name="mayManage">Whether the caller satisfies <see cref="Security.Policies.ManageDevices"/>.</param>
    public static DeviceDetailDto From(DeviceDetails details, bool mayManage)
    {
        ArgumentNullException.ThrowIfNull(details);
        var d = details.Device;
        var status = DeviceStatusText.Of(d);
        return new DeviceDetailDto(
            d.Id, mayManage ? d.EnrollmentId : null, d.Hostname, d.MachineId, d.SerialNumber, d.Architecture, d.Kernel,
            d.OsName, details.OsRelease, d.AgentVersion,
            status, d.State.ToString(), d.IsOnline, d.FirstSeenAt, d.LastSeenAt, d.LastAddress, d.UptimeSeconds, d.Load1, d.Load5, d.Load15,
            d.DecidedBy, d.DecidedAt, d.Conflict,
            d.Macs.OrderByDescending(m => m.IsPrimary).ThenBy(m => m.InterfaceName).Select(m => new MacDto(m.InterfaceName, m.Mac, m.IsPrimary)).ToList(),
            details.Events.Select(e => new EventDto(e.At, e.Kind, e.Message)).ToList());
    }
}

public sealed record MacDto(string Interface, string Mac, bool IsPrimary);

public sealed record EventDto(DateTimeOffset At, string Kind, string Message);

/// <summary>A page of a cursor-paginated list; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next page.</summary>
public sealed record PageDto<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Labels to add (<c>NAME</c> or <c>NAME=VALUE</c>) to and remove (by <c>NAME</c>) from the devices.</summary>
public sealed record LabelChangeDto(
    IReadOnlyList<Guid>? DeviceIds, IReadOnlyList<string>? Add, IReadOnlyList<string>? Remove);
