using Fleet.Shared.Ignition;
using Fleet.Tests;

namespace Fleet.Shared.Tests.Ignition;

public sealed class FilesDirectoryTests
{
    private static string FilesDir => SharedInterop.ButanePair("files-dir");

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void PhysicalFilesDirectory_RootWithOrWithoutSlash_Reads(string suffix)
    {
        var files = new PhysicalFilesDirectory(FilesDir + suffix);

        Assert.True(files.TryRead("local-file3", out var content));
        Assert.NotEmpty(content);
        Assert.Equal(["tree/a.conf", "tree/subdir/run.sh"], files.ListFiles("tree"));
        Assert.True(files.IsExecutable("tree/subdir/run.sh"));
        Assert.False(files.IsExecutable("tree/a.conf"));
    }

    [Theory]
    [InlineData("../README.md")]
    [InlineData("/etc/passwd")]
    [InlineData("tree/../../README.md")]
    public void PhysicalFilesDirectory_PathOutside_NotRead(string path)
    {
        Assert.False(new PhysicalFilesDirectory(FilesDir).TryRead(path, out _));
    }
}
