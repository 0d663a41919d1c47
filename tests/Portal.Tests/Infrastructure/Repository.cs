namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>The repository the tests were built from: the folder holding Fleet.sln above the test binaries.</summary>
public static class Repository
{
    private static readonly Lazy<string> Found = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null;
             directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Fleet.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => Found.Value;

    /// <summary>A path under the repository root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);
}
