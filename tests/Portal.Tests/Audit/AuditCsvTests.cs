using Fleet.Portal.Features.Audit;

namespace Fleet.Portal.Tests.Audit;

/// <summary>
/// The CSV cell rule: no cell a spreadsheet could cut out of a value starts a formula, whichever
/// separator (comma, semicolon, pipe, tab) it splits on and whether or not it honours the quotes.
/// </summary>
public sealed class AuditCsvTests
{
    private static readonly char[] Separators = [',', ';', '|', '\t', '\n', '\r'];

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1 -1", "'+1 -1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t'=1")]
    [InlineData("\r=1", "\"'\r'=1\"")]
    [InlineData("x;=10+20;y", "x;'=10+20;y")]
    [InlineData("x|+cmd|y", "x|'+cmd|y")]
    [InlineData("x\t-1", "x\t'-1")]
    [InlineData("x; =1", "x; '=1")]
    [InlineData("x;\"=1\";y", "\"x;\"\"'=1\"\";y\"")]
    [InlineData("a,=1", "\"a,'=1\"")]
    [InlineData("line\n@x", "\"line\n'@x\"")]
    [InlineData("a-b+c=d e@f", "a-b+c=d e@f")]
    [InlineData("said \"yes\", twice", "\"said \"\"yes\"\", twice\"")]
    [InlineData("fe80::1", "fe80::1")]
    public void Cell_Value_NeutralisedThenQuoted(string value, string expected)
    {
        Assert.Equal(expected, AuditCsv.Cell(value));
    }

    [Fact]
    public void Cell_NullOrEmpty_Empty()
    {
        Assert.Equal(string.Empty, AuditCsv.Cell(null));
        Assert.Equal(string.Empty, AuditCsv.Cell(string.Empty));
    }

    [Theory]
    [InlineData("x;=10+20;y")]
    [InlineData("=HYPERLINK(\"http://evil\";\"click\")")]
    [InlineData("a|b;c,d\t=e\n+f\r-g;\"@h\"; =i")]
    [InlineData(";;;=;;")]
    public void Line_SplitOnAnySeparator_NoCellStartsAFormula(string value)
    {
        var line = AuditCsv.Line(["1", value, "tail"]);

        AssertNoFormulaCell(line);
    }

    /// <summary>Splits as a careless spreadsheet would (any separator, quotes and spaces trimmed).</summary>
    internal static void AssertNoFormulaCell(string csv)
    {
        foreach (var separator in Separators)
        {
            foreach (var cell in csv.Split(separator))
            {
                var start = cell.TrimStart(' ', '"');
                Assert.False(start.Length > 0 && start[0] is '=' or '+' or '-' or '@',
                    $"split on {(int)separator}: cell '{cell}' starts a formula");
            }
        }
    }
}
