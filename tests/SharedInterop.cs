namespace Fleet.Tests;

/// <summary>
/// The shared reference data at <c>../shared/interop</c> beside the repository root (the folder holding Fleet.sln):
/// upstream documents read in place, never copied into the repository. CI has it; a contributor's clone may not, and
/// then every test that needs it is skipped with this reason instead of failing. Compiled into each test project
/// (tests/Directory.Build.props), so that there is one way to find it.
/// </summary>
internal static class SharedInterop
{
    private static readonly string? Found = Find();

    /// <summary>Whether the data is there (for theory data, which must not skip while tests are discovered).</summary>
    public static bool Available => Found is not null;

    /// <summary>The folder; skips the calling test when it is absent.</summary>
    public static string Root
    {
        get
        {
            if (Found is null)
            {
                Assert.Skip("needs ../shared/interop beside the repository (the shared reference data CI provides)");
            }

            return Found;
        }
    }

    /// <summary>A path inside the folder; skips the calling test when the folder is absent.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The rendered Butane pairs (<c>butane-pairs/</c>); skips when the folder is absent.</summary>
    public static string ButanePairs => PathOf("butane-pairs");

    /// <summary>A file of the rendered Butane pairs; skips when the folder is absent.</summary>
    public static string ButanePair(string file) => PathOf("butane-pairs", file);

    /// <summary>The path of an upstream document in <c>fixtures/</c>; skips when the folder is absent.</summary>
    public static string FixturePath(string name) => PathOf("fixtures", name);

    /// <summary>The text of an upstream document in <c>fixtures/</c>; skips when the folder is absent.</summary>
    public static string Fixture(string name) => File.ReadAllText(FixturePath(name));

    private static string? Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory);
            directory is not null;
            directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.sln")))
            {
                var root = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "interop"));
                return Directory.Exists(root) ? root : null;
            }
        }

        return null;
    }
}
