namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The shared interop reference data (real upstream documents), read in place at ../shared/interop; a test that
/// reads it is skipped when it is absent (<see cref="Fleet.Tests.SharedInterop"/>).
/// </summary>
public static class Interop
{
    public static string Root => Fleet.Tests.SharedInterop.Root;

    public static string FixturePath(string name) => Fleet.Tests.SharedInterop.PathOf("fixtures", name);

    public static string Fixture(string name) => File.ReadAllText(FixturePath(name));
}
