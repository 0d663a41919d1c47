using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>The schemas the product ships are the upstream ones the interop reference holds, byte for byte.</summary>
public sealed class EmbeddedSchemaTests
{
    [Theory]
    [InlineData("v3_4", "ignition-schema-v3_4.json")]
    [InlineData("v3_5", "ignition-schema-v3_5.json")]
    [InlineData("v3_6", "ignition-schema.json")]
    public void EmbeddedSchema_IsTheUpstreamSchema(string version, string referenceFile)
    {
        var assembly = typeof(ConfigCompiler).Assembly;
        using var stream = assembly.GetManifestResourceStream($"Fleet.Shared.Ignition.Schemas.{version}.json")
            ?? throw new InvalidOperationException($"schema {version} is not embedded in {assembly.GetName().Name}");
        using var embedded = new MemoryStream();
        stream.CopyTo(embedded);

        Assert.Equal(File.ReadAllBytes(Path.Combine(Interop.Root, referenceFile)), embedded.ToArray());
    }
}
