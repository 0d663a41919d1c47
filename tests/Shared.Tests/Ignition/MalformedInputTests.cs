using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>Whatever a person types, the answer is diagnostics, never an exception.</summary>
public sealed class MalformedInputTests
{
    public static TheoryData<string> ButaneInputs() => new(
        "variant: fcos\nversion: 1.5.0\nstorage: 5\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files: {a: 1}\n",
        "variant: fcos\nversion: 1.5.0\nvariant: fiot\n",
        "variant: fcos\nversion: 1.5.0\n? [a]\n: b\n",
        "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: [x]\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: 99999999999999999999999\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    -\n    - ~\n",
        "variant: fcos\nversion: 1.5.0\n\tstorage: {}\n",
        "[1,2]",
        "",
        "---\n---\n",
        "variant: [fcos]\nversion: 1.5.0\n",
        "variant: fcos\nversion: 1.5.0\nboot_device:\n  mirror:\n    devices: []\n",
        "variant: fcos\nversion: 1.5.0\nboot_device:\n  luks: 5\n",
        "variant: fcos\nversion: 1.5.0\nboot_device:\n  layout: sparc\n  luks:\n    tpm2: true\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: ../x\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  trees: 3\n",
        "variant: fcos\nversion: 1.5.0\ngrub:\n  users:\n    - 5\n",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  filesystems:\n    - device: /dev/sdb\n      with_mount_unit: maybe\n");

    [Theory]
    [MemberData(nameof(ButaneInputs))]
    public void Translate_Malformed_DiagnosticsNotExceptions(string yaml)
    {
        var result = ButaneTranslator.Translate(yaml, new InMemoryFilesDirectory(new Dictionary<string, byte[]>()));

        Assert.All(result.Diagnostics, d => Assert.False(string.IsNullOrWhiteSpace(d.Message)));
        Assert.True(result.Succeeded || result.Errors.Any());
    }

    [Fact]
    public void Translate_DeeplyNestedYaml_RefusedWithoutOverflowingTheStack()
    {
        var yaml = "variant: fcos\nversion: 1.5.0\nx: " + new string('[', 200_000) + new string(']', 200_000) + "\n";

        var error = Assert.Single(ButaneTranslator.Translate(yaml).Errors);

        Assert.Equal((3, 67), (error.Line, error.Column));
        Assert.Contains("nested more than 64 levels", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> JsonInputs() => new(
        "null",
        "",
        "[]",
        "{\"ignition\":{\"version\":3}}",
        "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":[]}",
        "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[null,1,{\"path\":null}]}}",
        "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"mode\":1e400}]}}",
        "{\"ignition\":{\"version\":\"3.3.0\",\"config\":{\"replace\":{\"source\":\"not a url\"}}}}",
        "{\"ignition\":{\"version\":\"3.3.0\"}} trailing",
        Storage("""{"luks":[{"name":"a","clevis":[]}]}"""),
        Storage("""{"luks":[{"name":"a","clevis":"tpm2"}]}"""),
        Storage("""{"files":[{"path":"/a","overwrite":true,"contents":5}]}"""),
        Storage("""{"files":[{"path":"/a","overwrite":true,"contents":[]}]}"""),
        new string('[', 5000));

    private static string Storage(string storage) => $$"""{"ignition":{"version":"3.4.0"},"storage":{{storage}}}""";

    [Theory]
    [MemberData(nameof(JsonInputs))]
    public void Validate_Malformed_ErrorsNotExceptions(string json)
    {
        var result = IgnitionValidator.Validate(json);

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Validate_NullListItem_PathNamesTheIndex()
    {
        var result = IgnitionValidator.Validate("{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/a\"},null]}}");

        Assert.Equal("storage.files.1", Assert.Single(result.Errors).Path);
    }
}
