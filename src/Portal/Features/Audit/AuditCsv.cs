using System.Buffers;
using System.Globalization;
using System.Text;

namespace Fleet.Portal.Features.Audit;

/// <summary>Writes audit entries as RFC 4180 CSV (CRLF, quoted where needed), safe to open in a spreadsheet.</summary>
internal static class AuditCsv
{
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");
    private static readonly SearchValues<char> CellStarts = SearchValues.Create(",;|\t\r\n");

    public static readonly IReadOnlyList<string> Columns =
        ["Id", "AtUtc", "Actor", "ActorRole", "Source", "Action", "EntityType", "EntityId", "Before", "After", "Outcome", "Detail", "RemoteAddress"];

    /// <summary>Flushed every <see cref="AuditQueryService.ExportChunkSize"/> rows so a large export streams instead of buffering.</summary>
    public static Task WriteAsync(
        Stream body, IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken) =>
        WriteAsync(body, Columns, entries, Cells, cancellationToken);

    /// <summary>
    /// Any export (audit entries, devices, a run's results): the header, then a line of <paramref name="cells"/> per
    /// row, flushed every <see cref="AuditQueryService.ExportChunkSize"/> rows so a large export streams.
    /// </summary>
    public static async Task WriteAsync<T>(
        Stream body,
        IReadOnlyList<string> columns,
        IAsyncEnumerable<T> rows,
        Func<T, IEnumerable<string?>> cells,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cells);
        await using var writer = new StreamWriter(
            body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(Line(columns));
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(Line(cells(row)));
            if (++count % AuditQueryService.ExportChunkSize == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

    internal static string Line(IEnumerable<string?> cells) => string.Join(',', cells.Select(Cell)) + "\r\n";

    /// <summary>
    /// One field: <see cref="Neutralise"/>d, then quoted when it holds a comma, quote or line break, with
    /// inner quotes doubled.
    /// </summary>
    internal static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        value = Neutralise(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    /// <summary>
    /// Puts an apostrophe before every character that would start a formula (OWASP's = + - @ tab and
    /// CR) at any place a spreadsheet might start a cell: the start of the value, and after any
    /// separator a spreadsheet offers (comma, semicolon, pipe, tab) or a line break, skipping spaces
    /// and quotes there. Quoting protects only a reader that splits on commas: one that splits on
    /// semicolons reads <c>x;=10+20;y</c> as three cells whatever the quotes, so the middle one must
    /// not start with "=". The spreadsheet then shows <c>x;'=10+20;y</c>: the data stays readable
    /// and nothing runs.
    /// </summary>
    internal static string Neutralise(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        StringBuilder? neutralised = null;
        var atCellStart = true;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (atCellStart && FormulaStarts.Contains(c))
            {
                neutralised ??= new StringBuilder(value.Length + 8).Append(value, 0, i);
                neutralised.Append('\'');
            }

            neutralised?.Append(c);
            atCellStart = CellStarts.Contains(c) || (atCellStart && c is ' ' or '"');
        }

        return neutralised?.ToString() ?? value;
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
