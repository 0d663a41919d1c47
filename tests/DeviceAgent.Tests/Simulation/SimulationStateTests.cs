using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.DeviceAgent.Tests.Simulation;

public sealed class SimulationStateTests
{
    private readonly string _path =
        Path.Combine(Directory.CreateTempSubdirectory("fleet-sim-state-").FullName, "s.json");

    [Fact]
    public async Task Open_SameSeedAgain_SameKeysAndTheCredentialSaved()
    {
        var first = await PreparedAsync(new SimulateArguments(3, Seed: 5, StatePath: _path));
        var keys = await KeysAsync(first);
        await first.StoreFor(1).SaveAsync((await LoadAsync(first, 1)) with { DeviceId = "dev-1", Secret = "s3cret" },
            TestContext.Current.CancellationToken);
        using (var stop = new CancellationTokenSource())
        {
            var writer = first.RunWriterAsync(NullLogger.Instance, TimeProvider.System, stop.Token);
            await stop.CancelAsync();
            await writer;
        }

        var second = await PreparedAsync(new SimulateArguments(3, Seed: 5, StatePath: _path));

        Assert.Equal(keys, await KeysAsync(second));
        Assert.Equal(("dev-1", "s3cret"), ((await LoadAsync(second, 1)).DeviceId, (await LoadAsync(second, 1)).Secret));
        Assert.Equal(1, second.Enrolled);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
    }

    [Fact]
    public async Task Open_StateButNoSeed_TakesTheFilesSeed()
    {
        await PreparedAsync(new SimulateArguments(2, Seed: -9, StatePath: _path));

        var (state, error) = await SimulationState.OpenAsync(new SimulateArguments(2, StatePath: _path),
            TestContext.Current.CancellationToken);

        Assert.Null(error);
        Assert.Equal(-9, state!.Seed);
    }

    [Theory]
    [InlineData(6, 3, "belongs to --seed 5, not 6: give that seed, or another --state")]
    [InlineData(5, 4, "belongs to --count 3, not 4: give that count, or another --state")]
    public async Task Open_FileOfAnotherRun_RefusedNamingTheFile(int seed, int count, string expected)
    {
        await PreparedAsync(new SimulateArguments(3, Seed: 5, StatePath: _path));
        var written = await File.ReadAllTextAsync(_path, TestContext.Current.CancellationToken);

        var (state, error) = await SimulationState.OpenAsync(new SimulateArguments(count, Seed: seed, StatePath: _path),
            TestContext.Current.CancellationToken);

        Assert.Null(state);
        Assert.Equal($"the state file {_path} {expected}", error);
        Assert.Equal(written, await File.ReadAllTextAsync(_path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Open_DamagedFile_RefusedNamingTheFile()
    {
        await File.WriteAllTextAsync(_path, "{\"seed\": 5, \"cou", TestContext.Current.CancellationToken);

        var (state, error) = await SimulationState.OpenAsync(new SimulateArguments(3, Seed: 5, StatePath: _path),
            TestContext.Current.CancellationToken);

        Assert.Null(state);
        Assert.StartsWith($"the state file {_path} cannot be read (", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_UnwritableFolder_RefusedNamingTheFile()
    {
        var path = Path.Combine(_path, "below-a-file.json");
        await File.WriteAllTextAsync(_path, "not a folder", TestContext.Current.CancellationToken);
        var (state, _) = await SimulationState.OpenAsync(new SimulateArguments(1, Seed: 1, StatePath: path),
            TestContext.Current.CancellationToken);

        var error = await state!.PrepareAsync(SimulatedFleet.Create(1, 1, TimeProvider.System), preEnrolled: false,
            TestContext.Current.CancellationToken);

        Assert.StartsWith($"the state file {path} cannot be written (", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NoSeedNoState_KeptInMemory()
    {
        var (state, error) = await SimulationState.OpenAsync(new SimulateArguments(2),
            TestContext.Current.CancellationToken);

        Assert.Null(error);
        Assert.Null(state!.FilePath);
        Assert.Equal(
            "simulate" + Path.DirectorySeparatorChar + "seed-7.json",
            Path.GetRelativePath(Path.GetDirectoryName(Path.GetDirectoryName(SimulationState.DefaultPath(7)))!,
                SimulationState.DefaultPath(7)));
    }

    private static async Task<SimulationState> PreparedAsync(SimulateArguments arguments)
    {
        var (state, error) = await SimulationState.OpenAsync(arguments, TestContext.Current.CancellationToken);
        Assert.Null(error);
        Assert.Null(await state!.PrepareAsync(
            SimulatedFleet.Create(arguments.Count, state.Seed, TimeProvider.System), preEnrolled: false,
            TestContext.Current.CancellationToken));
        return state;
    }

    private static async Task<AgentState> LoadAsync(SimulationState state, int index) =>
        (await state.StoreFor(index).LoadAsync(TestContext.Current.CancellationToken))!;

    private static async Task<List<string>> KeysAsync(SimulationState state)
    {
        var keys = new List<string>();
        foreach (var device in state.Devices)
        {
            keys.Add((await LoadAsync(state, device.Index)).EnrollmentKey!);
        }

        Assert.Equal(keys.Count, keys.Distinct().Count());
        return keys;
    }
}
