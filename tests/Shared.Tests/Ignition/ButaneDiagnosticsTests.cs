using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>Each rule, broken once in Butane: the error names the rule, the Butane field path, the line and column.</summary>
public sealed class ButaneDiagnosticsTests
{
    private static ConfigDiagnostic SingleError(string yaml, IFilesDirectory? files = null)
    {
        var result = ButaneTranslator.Translate(yaml, files);
        Assert.False(result.Succeeded);
        return Assert.Single(result.Errors);
    }

    private static void AssertAt(ConfigDiagnostic diagnostic, string? path, int line, int column, string messagePart)
    {
        Assert.Equal((path, line, column), (diagnostic.Path, diagnostic.Line, diagnostic.Column));
        Assert.Contains(messagePart, diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_RelativePath_ErrorAtPathValue()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/ok
                - path: etc/motd
            """);

        AssertAt(error, "storage.files.1.path", 6, 13, "must be absolute");
    }

    [Fact]
    public void Translate_UncleanPath_ErrorSuggestsCleanForm()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              directories:
                - path: /etc//fleet/
            """);

        AssertAt(error, "storage.directories.0.path", 5, 13, "\"/etc/fleet\"");
    }

    [Fact]
    public void Translate_SamePathAsFileAndLink_DuplicateErrorNamesFirstDeclaration()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/localtime
              links:
                - path: /etc/localtime
                  target: ../usr/share/zoneinfo/UTC
            """);

        AssertAt(error, "storage.links.0.path", 7, 13, "already declared at storage.files.0");
    }

    [Fact]
    public void Translate_TreeFileCollidesWithFileContents_ErrorAtTree()
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]> { ["tree/motd"] = "hi\n"u8.ToArray() });
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/motd
                  contents:
                    inline: hello
              trees:
                - local: tree
                  path: /etc
            """, files);

        AssertAt(error, "storage.trees.0", 9, 7, "collides");
    }

    [Fact]
    public void Translate_UnitWithoutSuffix_ErrorAtName()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            systemd:
              units:
                - name: hello
                  enabled: true
            """);

        AssertAt(error, "systemd.units.0.name", 5, 13, "unit type suffix");
    }

    [Fact]
    public void Translate_DropinWithoutConf_ErrorAtDropinName()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            systemd:
              units:
                - name: zincati.service
                  dropins:
                    - name: override
                      contents: "[Service]"
            """);

        AssertAt(error, "systemd.units.0.dropins.0.name", 7, 17, "must end in .conf");
    }

    [Fact]
    public void Translate_ModeOutOfRange_ErrorAtMode()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/motd
                  mode: 0100644
            """);

        AssertAt(error, "storage.files.0.mode", 6, 13, "between 0 and 07777");
    }

    [Fact]
    public void Translate_BadHash_ErrorAtHash()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /opt/tool
                  contents:
                    source: https://example.com/tool
                    verification:
                      hash: sha512-abc
            """);

        AssertAt(error, "storage.files.0.contents.verification.hash", 9, 17, "sha512-<128 hex digits>");
    }

    [Fact]
    public void Translate_UnsupportedScheme_ErrorAtSource()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /opt/tool
                  contents:
                    source: ftp://example.com/tool
            """);

        AssertAt(error, "storage.files.0.contents.source", 7, 17, "scheme \"ftp\" is not supported");
    }

    [Fact]
    public void Translate_SchemeNewerThanSpec_ErrorNamesSpec()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.1.0
            storage:
              files:
                - path: /opt/tool
                  contents:
                    source: gs://bucket/tool
            """);

        AssertAt(error, "storage.files.0.contents.source", 7, 17, "spec 3.2.0 or newer");
    }

    [Fact]
    public void Translate_FieldNewerThanSpec_ErrorNamesSpec()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.1.0
            storage:
              luks:
                - name: data
                  device: /dev/sdb
            """);

        AssertAt(error, "storage.luks", 4, 3, "need Ignition spec 3.2.0 or newer; this config is fcos 1.1.0 (Ignition spec 3.1.0)");
    }

    [Fact]
    public void Translate_UnknownKeys_WarningsApartFromErrors()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/motd
                  mdoe: 0644
            sytemd: {}
            """);

        Assert.True(result.Succeeded);
        Assert.Empty(result.Errors);
        Assert.Collection(
            result.Warnings,
            w => AssertAt(w, "storage.files.0.mdoe", 6, 7, "unknown key \"mdoe\""),
            w => AssertAt(w, "sytemd", 7, 1, "unknown key \"sytemd\""));
    }

    [Fact]
    public void Translate_UnsupportedVersion_ErrorAtVersion()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.9.0
            """);

        AssertAt(error, "version", 2, 10, "supported: 1.0.0, 1.1.0");
    }

    [Fact]
    public void Translate_UnknownVariant_ErrorAtVariant()
    {
        var error = SingleError("""
            variant: rhcos
            version: 0.1.0
            """);

        AssertAt(error, "variant", 1, 10, "supported: fcos, fiot");
    }

    [Fact]
    public void Translate_InvalidYaml_LocatedSyntaxError()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /a
                 mode: 420
            """);

        Assert.Null(error.Path);
        Assert.Equal(6, error.Line);
        Assert.StartsWith("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_WrongType_ErrorAtValue()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            systemd:
              units:
                - name: a.service
                  enabled: sometimes
            """);

        AssertAt(error, "systemd.units.0.enabled", 6, 16, "expected true or false");
    }

    [Fact]
    public void Translate_FiotWithDisks_RejectedLikeUpstream()
    {
        var error = SingleError("""
            variant: fiot
            version: 1.0.0
            storage:
              disks:
                - device: /dev/sdb
            """);

        AssertAt(error, "storage.disks", 4, 3, "not supported by variant fiot");
    }

    [Fact]
    public void Translate_LocalWithoutFilesDirectory_ErrorAtLocal()
    {
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/motd
                  contents:
                    local: motd
            """);

        AssertAt(error, "storage.files.0.contents.local", 7, 16, "needs a files directory");
    }

    [Fact]
    public void Translate_LocalEscapingFilesDirectory_Refused()
    {
        var files = new InMemoryFilesDirectory(new Dictionary<string, byte[]>());
        var error = SingleError("""
            variant: fcos
            version: 1.5.0
            storage:
              files:
                - path: /etc/shadow
                  contents:
                    local: ../../etc/shadow
            """, files);

        AssertAt(error, "storage.files.0.contents.local", 7, 16, "stay inside the files directory");
    }

    [Fact]
    public void Translate_TenMegabytes_RefusedWithSizeError()
    {
        var yaml = "variant: fcos\nversion: 1.5.0\n#" + new string('x', 10 * 1024 * 1024);

        var error = SingleError(yaml);

        Assert.Contains("too large", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_AliasBomb_RefusedNotExpanded()
    {
        var yaml = "variant: fcos\nversion: 1.5.0\nx0: &a0 [1,1,1,1,1,1,1,1,1,1]\n";
        for (var i = 1; i < 9; i++)
        {
            yaml += $"x{i}: &a{i} [*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1}]\n";
        }

        yaml += "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: *a8\n";

        var result = ButaneTranslator.Translate(yaml);

        Assert.False(result.Succeeded);
    }

    [Fact]
    public void Translate_ModeWrittenWithoutLeadingZero_WarnsItIsDecimal()
    {
        var result = ButaneTranslator.Translate("""
            variant: fcos
            version: 1.6.0
            storage:
              files:
                - path: /etc/motd
                  mode: 644
            """);

        var warning = Assert.Single(result.Warnings);
        AssertAt(warning, "storage.files.0.mode", 6, 13, "write 0644 for octal");
    }
}
