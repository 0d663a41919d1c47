using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Devices;

/// <summary>The status a person sees: enrolment state for undecided devices, connectivity for approved ones.</summary>
public enum DeviceStatusFilter
{
    Any,
    Pending,

    /// <summary>Approved, online or not: the devices that take configs, groups and updates.</summary>
    Approved,
    Rejected,
    Online,
    Offline,
}

/// <summary>One page request of the device list.</summary>
/// <param name="Search">Matched against MAC (any notation), hostname, machine-id and OS.</param>
/// <param name="SortBy">hostname, mac, arch, os, status, lastSeen, firstSeen.</param>
/// <param name="Status">Only devices with this status.</param>
/// <param name="Architecture">Only devices of this architecture; null for all.</param>
/// <param name="Descending">Sort from the largest value down.</param>
/// <param name="Skip">Rows to skip (paging).</param>
/// <param name="Take">Most rows to return.</param>
/// <param name="Label">Only devices with this label (<c>NAME</c>, any value, or <c>NAME=VALUE</c>).</param>
public sealed record DeviceQuery(
    string? Search = null,
    DeviceStatusFilter Status = DeviceStatusFilter.Any,
    string? Architecture = null,
    string SortBy = "firstSeen",
    bool Descending = true,
    int Skip = 0,
    int Take = 50,
    string? Label = null);

/// <summary>A row of the device list.</summary>
public sealed record DeviceRow(
    Guid Id,
    string Hostname,
    string PrimaryMac,
    string Architecture,
    string OsName,
    EnrollmentState State,
    bool IsOnline,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset FirstSeenAt,
    string? Conflict)
{
    public string StatusText => DeviceStatusText.Of(State, IsOnline);

    /// <summary>The device's labels (<see cref="DeviceLabels"/>), sorted; empty until loaded with the page.</summary>
    public IReadOnlyList<DeviceLabel> Labels { get; init; } = [];
}

public sealed record DevicePage(IReadOnlyList<DeviceRow> Rows, int Total);

/// <summary>Counts for the page header.</summary>
public sealed record FleetCounts(int Total, int Pending, int Online, int Offline, int Rejected);

/// <summary>Where a keyset page of the device list ends: the last row's first-seen time and id.</summary>
public readonly record struct DeviceCursor(DateTimeOffset FirstSeenAt, Guid Id)
{
    /// <summary>Opaque to clients: base64url of "ticks:id".</summary>
    public string Encode() =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{FirstSeenAt.UtcTicks}:{Id:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? value, out DeviceCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            return false;
        }

        try
        {
            var padded = value.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(padded)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var ticks)
                && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[1], "N", out var id))
            {
                cursor = new DeviceCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
            // Not base64: treated like any other malformed cursor.
        }

        return false;
    }
}
