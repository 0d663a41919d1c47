namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The shared interop reference data (real upstream documents), read in place at ../shared/interop
/// next to the repository root (the folder holding Fleet.sln), never copied into the project.
/// </summary>
public static class Interop
{
    public static string Root { get; } = Find();

    public static string FixturePath(string name) => Path.Combine(Root, "fixtures", name);

    public static string Fixture(string name) => File.ReadAllText(FixturePath(name));

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.sln")))
            {
                var root = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "interop"));
                return Directory.Exists(root) ? root : throw new DirectoryNotFoundException($"No interop data at {root}");
            }
        }

        throw new DirectoryNotFoundException($"No Fleet.sln above {AppContext.BaseDirectory}");
    }
}
