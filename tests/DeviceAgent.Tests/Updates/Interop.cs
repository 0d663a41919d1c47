namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>The shared interop fixtures (<c>../shared/interop</c> next to the repository), read in place.</summary>
internal static class Interop
{
    public static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fleet.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "interop", "fixtures", name));
            }
        }

        throw new DirectoryNotFoundException("Fleet.sln not found above the test assembly");
    }

    public static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rpm-ostree", name));
}
