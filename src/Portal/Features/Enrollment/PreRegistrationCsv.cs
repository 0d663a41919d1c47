using System.Text;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>One data row of a pre-registration CSV, with the line it came from.</summary>
public sealed record CsvDeviceRow(int Line, string? Mac, string? EkHash, string? Hostname, string? Group, string? Labels);

/// <summary>
/// Reads a pre-registration CSV: a header naming the columns (<c>mac</c>, <c>ek_hash</c>, <c>hostname</c>,
/// <c>group</c>, <c>labels</c>, any order, <c>mac</c> and/or <c>ek_hash</c> required), then one device a line.
/// RFC 4180 quoting; blank lines skipped. Structural problems are reported per line, never thrown.
/// </summary>
public static class PreRegistrationCsv
{
    public const int MaxRows = 100_000;

    private static readonly string[] Known = ["mac", "ek_hash", "hostname", "group", "labels"];

    public static (IReadOnlyList<CsvDeviceRow> Rows, IReadOnlyList<CsvRowError> Errors) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<CsvDeviceRow>();
        var errors = new List<CsvRowError>();
        var lines = ReadRecords(text, errors);
        if (lines.Count == 0)
        {
            errors.Add(new CsvRowError(1, "(header)", "the file is empty; expected a header such as mac,ek_hash,hostname,group,labels"));
            return (rows, errors);
        }

        var (headerLine, header) = lines[0];
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim().ToLowerInvariant();
            if (!Known.Contains(name))
            {
                errors.Add(new CsvRowError(headerLine, name, $"unknown column; expected {string.Join(", ", Known)}"));
            }
            else if (!columns.TryAdd(name, i))
            {
                errors.Add(new CsvRowError(headerLine, name, "column appears twice"));
            }
        }

        if (!columns.ContainsKey("mac") && !columns.ContainsKey("ek_hash"))
        {
            errors.Add(new CsvRowError(headerLine, "(header)", "needs a mac or an ek_hash column"));
        }

        if (errors.Count > 0)
        {
            return (rows, errors);
        }

        foreach (var (line, fields) in lines.Skip(1))
        {
            if (fields.Count != header.Count)
            {
                errors.Add(new CsvRowError(line, "(row)", $"{fields.Count} fields, the header has {header.Count}"));
                continue;
            }

            if (rows.Count == MaxRows)
            {
                errors.Add(new CsvRowError(line, "(row)", $"more than {MaxRows} rows; the rest was not read"));
                break;
            }

            string? Field(string name) => columns.TryGetValue(name, out var i) && fields[i].Trim() is { Length: > 0 } v ? v : null;
            rows.Add(new CsvDeviceRow(line, Field("mac"), Field("ek_hash"), Field("hostname"), Field("group"), Field("labels")));
        }

        return (rows, errors);
    }

    /// <summary>Splits into records (a quoted field may span lines); each record carries the line it starts on.</summary>
    private static List<(int Line, List<string> Fields)> ReadRecords(string text, List<CsvRowError> errors)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        var quoted = false;
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    End();
                    line++;
                    start = line;
                    break;
                default:
                    field.Append(c);
                    any = true;
                    break;
            }
        }

        if (quoted)
        {
            errors.Add(new CsvRowError(start, "(row)", "a quoted field is not closed"));
            return records;
        }

        End();
        return records;

        void End()
        {
            if (any)
            {
                fields.Add(field.ToString());
                records.Add((start, fields));
            }

            fields = [];
            field.Clear();
            any = false;
        }
    }
}
