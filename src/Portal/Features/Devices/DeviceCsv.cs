using System.Globalization;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// The device list as CSV: every row the filter matches, in its sort, with what the list shows and nothing
/// secret (no enrolment id, credential, secret variable). Cells are written as the audit export writes them.
/// </summary>
internal static class DeviceCsv
{
    /// <summary>The Devices page's download (portal cookie); the API serves the same under /api/v1/devices.</summary>
    public const string ExportPath = "/devices/export.csv";

    public static readonly IReadOnlyList<string> Columns =
        ["Id", "Hostname", "PrimaryMac", "Architecture", "Os", "Status", "LastSeenUtc", "FirstSeenUtc", "Labels"];

    public static void MapDeviceExport(this WebApplication app) =>
        app.MapGet(ExportPath, ExportAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .DisableCookieRedirect();

    /// <summary>The rows of <see cref="DeviceListState"/>'s query string, all of them, as a file download.</summary>
    public static Results<PushStreamHttpResult, OutcomeProblem> ExportAsync(
        HttpContext http, DeviceService devices, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        var state = DeviceListState.Parse(http.Request.QueryString.Value);
        if (state.Search?.Length > 256)
        {
            return Outcome.Invalid("search", "at most 256 characters").ToProblem();
        }

        var rows = devices.ExportAsync(state.ToQuery(), http.RequestAborted);
        var fileName = $"fleet-devices-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        return TypedResults.Stream(
            body => WriteAsync(body, rows, http.RequestAborted), "text/csv; charset=utf-8", fileName);
    }

    public static Task WriteAsync(
        Stream body, IAsyncEnumerable<DeviceRow> rows, CancellationToken cancellationToken) =>
        AuditCsv.WriteAsync(body, Columns, rows, Cells, cancellationToken);

    internal static string?[] Cells(DeviceRow row) =>
    [
        row.Id.ToString("N"),
        row.Hostname,
        row.PrimaryMac,
        row.Architecture,
        row.OsName,
        row.StatusText,
        row.LastSeenAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        row.FirstSeenAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        string.Join(", ", row.Labels.Select(l => l.ToString())),
    ];
}
