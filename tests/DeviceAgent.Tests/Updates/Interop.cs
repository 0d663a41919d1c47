namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>The shared interop fixtures (<c>../shared/interop</c>), read in place; skipped when absent.</summary>
internal static class Interop
{
    public static string Fixture(string name) => Fleet.Tests.SharedInterop.PathOf("fixtures", name);

    public static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rpm-ostree", name));
}
