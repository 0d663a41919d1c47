namespace Fleet.Portal.Tests.Solution;

/// <summary>Finds the repository's files (docs/, src/) from the test binary's folder.</summary>
internal static class DocsFiles
{
    /// <summary>The folder holding Fleet.sln.</summary>
    public static string RepositoryRoot()
    {
        var start = new DirectoryInfo(AppContext.BaseDirectory);
        for (var directory = start; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Fleet.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A path under the repository root, given in segments.</summary>
    public static string InRepository(params string[] segments) => Path.Combine([RepositoryRoot(), .. segments]);
}
