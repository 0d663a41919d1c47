using System.Runtime.Versioning;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Tests.State;

// The agent runs on Linux only; file modes are the point of these tests.
[UnsupportedOSPlatform("windows")]
public sealed class FileStateStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SaveAsync_ThenLoadAsync_RoundTrips()
    {
        var store = Store("state");
        var saved = new AgentState("enroll-0123456789abcdef0123456789abcdef", "dev-1", "s3cret");

        await store.SaveAsync(saved, Token);
        var loaded = await Store("state").LoadAsync(Token);

        Assert.Equal(saved, loaded);
    }

    [Fact]
    public async Task SaveAsync_NewDirectory_CreatesDirectory0700AndFile0600()
    {
        var store = Store("nested/state");

        await store.SaveAsync(new AgentState("enroll-0123456789abcdef0123456789abcdef"), Token);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_temp.Combine("nested/state")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
    }

    [Fact]
    public async Task SaveAsync_ExistingWorldReadableFile_ReplacesItWith0600AndLeavesNoTemporary()
    {
        var store = Store("state");
        await store.SaveAsync(new AgentState("enroll-0123456789abcdef0123456789abcdef"), Token);
        File.SetUnixFileMode(store.FilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        await store.SaveAsync(new AgentState("enroll-0123456789abcdef0123456789abcdef", "dev-2", "other"), Token);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal([FileStateStore.FileName], Directory.GetFiles(_temp.Combine("state")).Select(Path.GetFileName));
        Assert.Equal("dev-2", (await store.LoadAsync(Token))?.DeviceId);
    }

    [Fact]
    public async Task SaveAsync_WithoutCredential_OmitsSecretFromFile()
    {
        var store = Store("state");
        var enrolled = new AgentState("enroll-0123456789abcdef0123456789abcdef", "dev-1", "s3cret");

        await store.SaveAsync(enrolled.WithoutCredential(), Token);

        Assert.DoesNotContain("s3cret", await File.ReadAllTextAsync(store.FilePath, Token), StringComparison.Ordinal);
        Assert.False((await store.LoadAsync(Token))!.IsEnrolled);
    }

    [Fact]
    public async Task LoadAsync_NoFile_ReturnsNull()
    {
        Assert.Null(await Store("missing").LoadAsync(Token));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"deviceId\":\"dev-1\"}")]
    [InlineData("null")]
    public async Task LoadAsync_UnusableFile_ReturnsNull(string content)
    {
        _temp.Write($"state/{FileStateStore.FileName}", content);

        Assert.Null(await Store("state").LoadAsync(Token));
    }

    private FileStateStore Store(string relativeDirectory) => new(
        Options.Create(new AgentOptions { StateDirectory = _temp.Combine(relativeDirectory) }),
        NullLogger<FileStateStore>.Instance);
}
