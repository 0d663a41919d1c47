using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>Ignition JSON input: located errors per rule, and agreement with the real ignition-validate.</summary>
public sealed class IgnitionValidatorTests
{
    private static void AssertSingleError(string json, string? path, int line, int column, string messagePart)
    {
        var result = IgnitionValidator.Validate(json);
        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Equal((path, line, column), (error.Path, error.Line, error.Column));
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ValidConfig_SucceedsAndRealValidatorAgrees()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "storage": { "files": [ { "path": "/etc/motd", "mode": 420, "contents": { "source": "data:,hello" } } ] },
              "systemd": { "units": [ { "name": "hello.service", "enabled": true, "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n" } ] }
            }
            """;

        var result = IgnitionValidator.Validate(json);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        IgnitionValidateTool.AssertValid(result.Ignition!);
    }

    [Fact]
    public void Validate_InvalidJson_LocatedSyntaxError()
    {
        var result = IgnitionValidator.Validate("{\n  \"ignition\": { \"version\": \"3.3.0\" },\n  \"storage\": {,}\n}");

        var error = Assert.Single(result.Errors);
        Assert.Null(result.Ignition);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("invalid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingVersion_Error()
    {
        AssertSingleError("""{ "storage": {} }""", "", 1, 1, "missing ignition.version");
    }

    [Fact]
    public void Validate_UnsupportedVersion_ErrorAtVersion()
    {
        AssertSingleError("""{ "ignition": { "version": "2.3.0" } }""", "ignition.version", 1, 28, "unsupported Ignition spec version 2.3.0");
    }

    [Fact]
    public void Validate_RelativePath_LocatedAndRealValidatorAgrees()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "storage": { "files": [ { "path": "etc/motd" } ] }
            }
            """;

        AssertSingleError(json, "storage.files.0.path", 3, 37, "must be absolute");
        Assert.NotEqual(0, IgnitionValidateTool.Run(json).ExitCode);
    }

    [Fact]
    public void Validate_DuplicatePathAcrossLists_LocatedAndRealValidatorAgrees()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "storage": {
                "directories": [ { "path": "/etc/fleet" } ],
                "files": [ { "path": "/etc/fleet" } ]
              }
            }
            """;

        var result = IgnitionValidator.Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("storage.files.0.path", error.Path);
        Assert.Equal(5, error.Line);
        Assert.NotEqual(0, IgnitionValidateTool.Run(json).ExitCode);
    }

    [Fact]
    public void Validate_EnabledUnitWithoutInstallSection_WarningLikeUpstream()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "systemd": { "units": [ { "name": "a.service", "enabled": true, "contents": "[Service]\nExecStart=/bin/true\n" } ] }
            }
            """;

        var result = IgnitionValidator.Validate(json);

        Assert.True(result.Succeeded);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("systemd.units.0.contents", warning.Path);
        Assert.Contains("no [Install] section", warning.Message, StringComparison.Ordinal);
        Assert.Contains("has no install section", IgnitionValidateTool.Run(json).Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StringMode_SchemaTypeError()
    {
        const string json = """
            {
              "ignition": { "version": "3.4.0" },
              "storage": { "files": [ { "path": "/etc/motd", "mode": "0644" } ] }
            }
            """;

        AssertSingleError(json, "storage.files.0.mode", 3, 58, "must be an integer, not a string");
    }

    [Fact]
    public void Validate_SchemaEnum_ErrorListsAllowedValues()
    {
        const string json = """
            {
              "ignition": { "version": "3.6.0" },
              "systemd": { "units": [ { "name": "a.service", "enabled": "yes" } ] }
            }
            """;

        AssertSingleError(json, "systemd.units.0.enabled", 3, 61, "must be a boolean");
    }

    [Fact]
    public void Validate_MissingRequiredKey_ErrorAtEntry()
    {
        const string json = """
            {
              "ignition": { "version": "3.5.0" },
              "passwd": { "users": [ { "sshAuthorizedKeys": [ "ssh-ed25519 AAAA" ] } ] }
            }
            """;

        AssertSingleError(json, "passwd.users.0", 3, 26, "missing required key \"name\"");
    }

    [Fact]
    public void Validate_UnknownKey_WarningOnlyAtKey()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "storgae": {}
            }
            """;

        var result = IgnitionValidator.Validate(json);

        Assert.True(result.Succeeded);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("storgae", 3, 3), (warning.Path, warning.Line, warning.Column));
    }

    [Fact]
    public void Validate_FieldNewerThanDeclaredSpec_ErrorNamesSpec()
    {
        const string json = """
            {
              "ignition": { "version": "3.2.0" },
              "kernelArguments": { "shouldExist": [ "quiet" ] }
            }
            """;

        AssertSingleError(json, "kernelArguments", 3, 3, "need Ignition spec 3.3.0 or newer");

        // Upstream only warns and then ignores the field; Fleet refuses it, since the author clearly wanted it applied.
        Assert.Contains("Unused key kernelArguments", IgnitionValidateTool.Run(json).Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadDataUrl_ErrorAtSource()
    {
        const string json = """
            {
              "ignition": { "version": "3.3.0" },
              "storage": { "files": [ { "path": "/a", "contents": { "source": "data:,%zz" } } ] }
            }
            """;

        AssertSingleError(json, "storage.files.0.contents.source", 3, 67, "not a valid data: URL");
    }

    [Fact]
    public void Validate_SpecialModeBitsBefore36_ErrorNamesSpec()
    {
        const string json = """
            {
              "ignition": { "version": "3.5.0" },
              "storage": { "files": [ { "path": "/usr/local/bin/tool", "mode": 2541 } ] }
            }
            """;

        AssertSingleError(json, "storage.files.0.mode", 3, 68, "spec 3.6.0 or newer");
        Assert.True(IgnitionValidator.Validate(json.Replace("3.5.0", "3.6.0", StringComparison.Ordinal)).Succeeded);
    }

    [Fact]
    public void Validate_TenMegabytes_RefusedBeforeParsing()
    {
        var json = "{\"ignition\":{\"version\":\"3.3.0\"},\"x\":\"" + new string('a', 10 * 1024 * 1024) + "\"}";

        var result = IgnitionValidator.Validate(json);

        Assert.Null(result.Ignition);
        Assert.Contains("the limit is 1,048,576 bytes", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_Butane_TranslatesAndValidates()
    {
        var result = ConfigCompiler.Compile(ConfigLanguage.Butane, "variant: fcos\nversion: 1.4.0\nkernel_arguments:\n  should_exist: [quiet]\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        IgnitionValidateTool.AssertValid(result.Ignition!);
    }

    [Theory]
    [InlineData("[Service]\\nfoo\\n", "line 2: \"foo\" is not Key=Value")]
    [InlineData("[Service] x\\nA=b\\n", "text after the section name")]
    [InlineData("[Service\\nA=b\\n", "has no closing ]")]
    public void Validate_BadUnitSyntax_ErrorLikeRealValidator(string contents, string messagePart)
    {
        var json = """{"ignition":{"version":"3.3.0"},"systemd":{"units":[{"name":"a.service","contents":"CONTENTS"}]}}""".Replace("CONTENTS", contents, StringComparison.Ordinal);

        var result = IgnitionValidator.Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("systemd.units.0.contents", error.Path);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid unit content", IgnitionValidateTool.Run(json).Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("foo=bar\\n[Service]\\n")]
    [InlineData("# c\\n[Service]\\nA=b \\\\\\n c\\n")]
    [InlineData("\\n\\n[Unit]\\n;x\\nA=\\n")]
    public void Validate_GoodUnitSyntax_AcceptedLikeRealValidator(string contents)
    {
        var json = """{"ignition":{"version":"3.3.0"},"systemd":{"units":[{"name":"a.service","contents":"CONTENTS"}]}}""".Replace("CONTENTS", contents, StringComparison.Ordinal);

        Assert.Empty(IgnitionValidator.Validate(json).Diagnostics);
        var (code, output) = IgnitionValidateTool.Run(json);
        Assert.Equal((0, ""), (code, output.Trim()));
    }
}
