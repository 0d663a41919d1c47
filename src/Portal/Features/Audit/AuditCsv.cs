using System.Globalization;
using System.Text;

namespace Fleet.Portal.Features.Audit;

/// <summary>Writes audit entries as RFC 4180 CSV (CRLF, quoted where needed), safe to open in a spreadsheet.</summary>
internal static class AuditCsv
{
    public static readonly IReadOnlyList<string> Columns =
        ["Id", "AtUtc", "Actor", "ActorRole", "Source", "Action", "EntityType", "EntityId", "Before", "After", "Outcome", "Detail", "RemoteAddress"];

    /// <summary>Flushed every <see cref="AuditQueryService.ExportChunkSize"/> rows so a large export streams instead of buffering.</summary>
    public static async Task WriteAsync(Stream body, IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(Line(Columns));
        var count = 0;
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(Line(Cells(entry)));
            if (++count % AuditQueryService.ExportChunkSize == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

    internal static string Line(IEnumerable<string?> cells) => string.Join(',', cells.Select(Cell)) + "\r\n";

    /// <summary>
    /// One field. Text that a spreadsheet would run as a formula (starting with = + - @, or tab/CR, which
    /// OWASP lists too) gets a leading apostrophe; then fields holding a comma, quote or line break are
    /// quoted with inner quotes doubled.
    /// </summary>
    internal static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    private static string?[] Cells(AuditEntry e) =>
    [
        e.Id.ToString(CultureInfo.InvariantCulture),
        e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        e.Actor,
        e.ActorRole,
        e.Source.ToString(),
        e.Action,
        e.EntityType,
        e.EntityId,
        e.Before,
        e.After,
        e.Outcome.ToString(),
        e.Detail,
        e.RemoteAddress,
    ];
}
