namespace Fleet.Shared.Tests;

/// <summary>Finds the shared interop data (<c>../shared/interop</c> next to the repository root).</summary>
internal static class Interop
{
    public static string Root { get; } = Find();

    public static string ButanePairs => Path.Combine(Root, "butane-pairs");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "interop");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/interop not found above " + AppContext.BaseDirectory);
    }
}
