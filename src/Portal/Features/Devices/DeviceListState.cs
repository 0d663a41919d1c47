using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// What the Devices page shows (search, filters, sort, page), as its query string: the address can be reloaded,
/// bookmarked, saved as a named filter and walked with Back, and the CSV export reads the same names.
/// </summary>
public sealed record DeviceListState(
    string? Search = null,
    DeviceStatusFilter Status = DeviceStatusFilter.Any,
    string? Architecture = null,
    string? Label = null,
    string SortBy = DeviceListState.DefaultSort,
    bool Descending = true,
    int Page = 0,
    int PageSize = DeviceListState.DefaultPageSize)
{
    public const string DefaultSort = "firstSeen";

    public const int DefaultPageSize = 25;

    public static readonly IReadOnlyList<int> PageSizes = [25, 50, 100, 250];

    public static readonly IReadOnlyList<string> SortKeys =
        ["hostname", "mac", "arch", "os", "status", "lastSeen", DefaultSort];

    /// <summary>Reads a query string; anything unknown or malformed falls back to its default.</summary>
    public static DeviceListState Parse(string? queryString)
    {
        var query = QueryHelpers.ParseQuery(queryString);
        string? Text(string key) =>
            query.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : null;
        int Number(string key, int fallback) =>
            int.TryParse(Text(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : fallback;

        var sort = SortKeys.FirstOrDefault(k => string.Equals(k, Text("sort"), StringComparison.OrdinalIgnoreCase));
        var size = Number("size", DefaultPageSize);
        return new DeviceListState(
            Text("q"),
            Enum.TryParse<DeviceStatusFilter>(Text("status"), ignoreCase: true, out var status) ? status : default,
            Text("arch"),
            Text("label"),
            sort ?? DefaultSort,
            !string.Equals(Text("dir"), "asc", StringComparison.OrdinalIgnoreCase),
            Math.Clamp(Number("page", 1), 1, 1_000_000) - 1,
            PageSizes.Contains(size) ? size : DefaultPageSize);
    }

    /// <summary>
    /// The query string (with '?', or empty), naming only what differs from the defaults; pages count from 1.
    /// </summary>
    public string ToQueryString(bool withPage = true)
    {
        var parts = new List<KeyValuePair<string, string?>>();
        void Add(string key, string? value, bool when = true)
        {
            if (when && !string.IsNullOrEmpty(value))
            {
                parts.Add(new(key, value));
            }
        }

        Add("q", Search);
        Add("status", Status.ToString(), Status != DeviceStatusFilter.Any);
        Add("arch", Architecture);
        Add("label", Label);
        Add("sort", SortBy, SortBy != DefaultSort);
        Add("dir", "asc", !Descending);
        Add("size", PageSize.ToString(CultureInfo.InvariantCulture), PageSize != DefaultPageSize);
        Add("page", (Page + 1).ToString(CultureInfo.InvariantCulture), withPage && Page > 0);
        return QueryString.Create(parts).Value ?? string.Empty;
    }

    /// <summary>The filters in words, for "No devices match …": "“web-1”, status Online, label rack=3"; empty
    /// when nothing is filtered.</summary>
    public string FilterText => string.Join(", ", new[]
    {
        Search is { } search ? $"“{search}”" : null,
        Status != DeviceStatusFilter.Any ? $"status {Status}" : null,
        Architecture is { } architecture ? $"architecture {architecture}" : null,
        Label is { } label ? $"label {label}" : null,
    }.OfType<string>());

    /// <summary>The same order and page size, nothing filtered, first page.</summary>
    public DeviceListState Unfiltered => new(SortBy: SortBy, Descending: Descending, PageSize: PageSize);

    public DeviceQuery ToQuery() =>
        new(Search, Status, Architecture, SortBy, Descending, Page * PageSize, PageSize, Label);
}
