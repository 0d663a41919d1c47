using Fleet.DeviceAgent.Identity;
using Fleet.Shared;

namespace Fleet.DeviceAgent.Tests.Identity;

public sealed class OsReleaseParserTests
{
    [Fact]
    public void Parse_QuotingAndEscapes_AreUnquotedLikeAShell()
    {
        const string text = """
            # Fedora CoreOS
            NAME="Fedora Linux"

            ID=fedora
            PRETTY_NAME="Fedora \"CoreOS\" 42 \\ \$HOME \`x\`"
            SINGLE='it''s $literal \n'
            MIXED="a"'b'c
            ESCAPED_UNQUOTED=a\ b
              INDENTED="yes"
            """;

        var fields = OsReleaseParser.Parse(text);

        Assert.Equal("Fedora Linux", fields["NAME"]);
        Assert.Equal("fedora", fields["ID"]);
        Assert.Equal("Fedora \"CoreOS\" 42 \\ $HOME `x`", fields["PRETTY_NAME"]);
        Assert.Equal("its $literal \\n", fields["SINGLE"]);
        Assert.Equal("abc", fields["MIXED"]);
        Assert.Equal("a b", fields["ESCAPED_UNQUOTED"]);
        Assert.Equal("yes", fields["INDENTED"]);
        Assert.Equal(7, fields.Count);
    }

    [Fact]
    public void Parse_BackslashBeforeOrdinaryCharacterInDoubleQuotes_IsKept()
    {
        Assert.Equal("a\\nb", OsReleaseParser.Parse("X=\"a\\nb\"")["X"]);
    }

    [Theory]
    [InlineData("NO_EQUALS")]
    [InlineData("=value")]
    [InlineData("1KEY=value")]
    [InlineData("KEY-DASH=value")]
    [InlineData("KEY=\"unterminated")]
    public void Parse_InvalidLine_IsSkipped(string line)
    {
        var fields = OsReleaseParser.Parse(line + "\nID=fedora\n");

        Assert.Equal("fedora", Assert.Single(fields).Value);
    }

    [Fact]
    public void Parse_RepeatedKey_LastAssignmentWins()
    {
        Assert.Equal("two", OsReleaseParser.Parse("ID=one\nID=two\n")["ID"]);
    }

    [Fact]
    public void Parse_TooManyFieldsAndLongValues_AreLimited()
    {
        var text = string.Join('\n', Enumerable.Range(0, Protocol.MaxOsReleaseFields + 5).Select(i => $"K{i}={new string('v', Protocol.MaxFieldLength + 1)}"));

        var fields = OsReleaseParser.Parse(text);

        Assert.Equal(Protocol.MaxOsReleaseFields, fields.Count);
        Assert.All(fields.Values, v => Assert.Equal(Protocol.MaxFieldLength, v.Length));
        Assert.False(fields.ContainsKey($"K{Protocol.MaxOsReleaseFields}"));
    }

    [Fact]
    public void Parse_CrLfLineEndings_AreTolerated()
    {
        Assert.Equal("fedora", OsReleaseParser.Parse("ID=fedora\r\nNAME=x\r\n")["ID"]);
    }
}
