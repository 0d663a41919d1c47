using System.Globalization;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>
/// A run's per-device results as CSV, one row per device by hostname: the state, times, exit code and why. Cells are
/// written as the audit export writes them (formula-safe); output tails are left out (the device page has them).
/// </summary>
internal static class CommandRunCsv
{
    /// <summary>The run page's download (portal cookie); the API serves the same under /api/v1/command-runs.
    /// </summary>
    public const string ExportPath = "/commands/runs/{id:guid}/results.csv";

    public static readonly IReadOnlyList<string> Columns =
        ["CommandId", "DeviceId", "Hostname", "State", "DeliveredUtc", "FinishedUtc", "ExitCode", "Detail"];

    public static void MapCommandRunExport(this WebApplication app) =>
        app.MapGet(ExportPath, ExportAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .DisableCookieRedirect();

    public static string PathOf(Guid id) => $"commands/runs/{id:N}/results.csv";

    public static async Task<Results<PushStreamHttpResult, OutcomeProblem>> ExportAsync(
        Guid id, HttpContext http, CommandRunService runs, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(runs);
        if (await runs.GetAsync(id, http.RequestAborted) is null)
        {
            return Outcome.NotFound($"There is no command run {id:N}.").ToProblem();
        }

        var rows = runs.ResultsAsync(id, http.RequestAborted);
        var fileName = $"fleet-run-{id:N}-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        return TypedResults.Stream(
            body => WriteAsync(body, rows, http.RequestAborted), "text/csv; charset=utf-8", fileName);
    }

    public static Task WriteAsync(
        Stream body, IAsyncEnumerable<CommandRunResult> rows, CancellationToken cancellationToken) =>
        AuditCsv.WriteAsync(body, Columns, rows, Cells, cancellationToken);

    internal static string?[] Cells(CommandRunResult row) =>
    [
        row.CommandId.ToString("N"),
        row.DeviceId.ToString("N"),
        row.Hostname,
        row.State.ToString(),
        Utc(row.DeliveredAt),
        Utc(row.FinishedAt),
        row.ExitCode?.ToString(CultureInfo.InvariantCulture),
        row.Detail,
    ];

    private static string? Utc(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
