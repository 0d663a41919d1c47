using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>
/// What the simulated devices remember across runs: each one's enrolment key and, once approved, its credential, so
/// that a run with the same seed brings the same devices back without enrolling again. Kept in one file (it holds
/// credentials: a <see cref="State.DurableFile"/>), written before any device sends its key and then whenever a
/// device's state changes, at most once per <see cref="WriteInterval"/>, and once more when the simulation stops.
/// Without a file (no <c>--seed</c> and no <c>--state</c>, or pre-enrolled devices) the state lives in memory only.
/// </summary>
internal sealed class SimulationState
{
    // A write serialises every device (about 150 bytes each: 14.7 MB for 100,000), so a large fleet writes less
    // often while its devices enrol.
    private const int DevicesPerSecondOfInterval = 20_000;

    private readonly Dictionary<string, AgentState> _known;
    private readonly AgentState?[] _devices;
    // Holds at most one wake-up for the writer: many changes before it runs make one write.
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _dirty;
    private bool _writeFailed;

    private SimulationState(string? path, int seed, int count, Dictionary<string, AgentState> known)
    {
        FilePath = path;
        Seed = seed;
        _devices = new AgentState?[count];
        _known = known;
    }

    /// <summary>The shortest time between writes: a second per 20,000 devices, at least one.</summary>
    public TimeSpan WriteInterval => TimeSpan.FromSeconds(Math.Max(1, _devices.Length / DevicesPerSecondOfInterval));

    /// <summary>The file, or null when the state is kept in memory only.</summary>
    public string? FilePath { get; }

    /// <summary>The seed in force: the one given, else the file's, else a random one.</summary>
    public int Seed { get; }

    /// <summary>The devices, once <see cref="PrepareAsync"/> has given each its state.</summary>
    public IReadOnlyList<SimulatedDevice> Devices { get; private set; } = [];

    /// <summary>Devices that come back with a credential from the last run.</summary>
    public int Enrolled => _known.Values.Count(s => s.IsEnrolled);

    /// <summary>
    /// The default file for a seed: <c>~/.local/share/fleet-agent/simulate/seed-&lt;seed&gt;.json</c> (under
    /// <c>$XDG_DATA_HOME</c> when set; under the working directory when there is no home).
    /// </summary>
    public static string DefaultPath(int seed) => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData),
        "fleet-agent",
        "simulate",
        string.Create(CultureInfo.InvariantCulture, $"seed-{seed}.json"));

    /// <summary>
    /// Reads the file of <paramref name="arguments"/> (<c>--state</c>, or the default for <c>--seed</c>) if there is
    /// one, and writes it back with a key for every device. The error, one line naming the file, is for a file that is
    /// unreadable, belongs to another seed or device count, or cannot be written.
    /// </summary>
    public static async Task<(SimulationState? State, string? Error)> OpenAsync(
        SimulateArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var path = arguments.PreEnrolled ? null
            : arguments.StatePath ?? (arguments.Seed is { } given ? DefaultPath(given) : null);
        if (path is null)
        {
            var seed = arguments.Seed ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);
            return (new SimulationState(null, seed, arguments.Count, new(StringComparer.Ordinal)), null);
        }

        path = Path.GetFullPath(path);
        StateFile? file;
        try
        {
            file = await ReadAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return (null, $"the state file {path} cannot be read ({ex.Message}); move it away to start afresh");
        }

        if (file is not null && arguments.Seed is { } seedGiven && file.Seed != seedGiven)
        {
            return (null, $"the state file {path} belongs to --seed {file.Seed}, not {seedGiven}: "
                + "give that seed, or another --state");
        }

        if (file is not null && file.Count != arguments.Count)
        {
            return (null, $"the state file {path} belongs to --count {file.Count}, not {arguments.Count}: "
                + "give that count, or another --state");
        }

        var known = (file?.Devices ?? []).Where(d => d.EnrollmentKey is not null)
            .ToDictionary(d => d.EnrollmentId, StringComparer.Ordinal);
        var state = new SimulationState(
            path,
            file?.Seed ?? arguments.Seed ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue),
            arguments.Count,
            known);
        return (state, null);
    }

    /// <summary>
    /// The state of each device to start from (the last run's, or a new enrolment key; pre-enrolled devices: a
    /// credential derived from the seed), written to the file before any device uses it.
    /// </summary>
    public async Task<string?> PrepareAsync(
        IReadOnlyList<SimulatedDevice> devices, bool preEnrolled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var device in devices)
        {
            _devices[device.Index] = preEnrolled
                ? new AgentState(device.EnrollmentId, string.Create(CultureInfo.InvariantCulture,
                    $"sim-{(uint)Seed}-{device.Index + 1}"), device.EnrollmentId)
                : _known.GetValueOrDefault(device.EnrollmentId)
                    ?? new AgentState(device.EnrollmentId, EnrollmentKey: EnrollmentIds.NewKey());
        }

        try
        {
            await WriteAsync(cancellationToken);
            Devices = devices;
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"the state file {FilePath} cannot be written ({ex.Message}); give a writable --state";
        }
    }

    /// <summary>The store device <paramref name="index"/> runs with.</summary>
    public IStateStore StoreFor(int index) => new DeviceStore(this, index);

    /// <summary>Writes changes until cancelled, then once more. A failed write is logged once and retried.</summary>
    public async Task RunWriterAsync(ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (FilePath is null)
        {
            return;
        }

        try
        {
            while (true)
            {
                await _changed.Reader.ReadAsync(cancellationToken);

                // Changes arriving meanwhile (an approval reaches many devices at once) share one write.
                await Task.Delay(WriteInterval, time, cancellationToken);
                await TryWriteAsync(logger, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the last changes are written below.
        }

        if (Volatile.Read(ref _dirty) != 0 || _writeFailed)
        {
            await TryWriteAsync(logger, CancellationToken.None);
        }
    }

    private async Task TryWriteAsync(ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(cancellationToken);
            if (_writeFailed)
            {
                _writeFailed = false;
                logger.LogInformation("State file {Path} written again", FilePath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The devices run on from memory; only a restart before the next good write loses what changed.
            _changed.Writer.TryWrite(true);
            if (!_writeFailed)
            {
                _writeFailed = true;
                logger.LogError("State file {Path} cannot be written ({Error}); trying again every second",
                    FilePath, ex.Message);
            }
        }
    }

    private Task WriteAsync(CancellationToken cancellationToken)
    {
        if (FilePath is null)
        {
            return Task.CompletedTask;
        }

        Interlocked.Exchange(ref _dirty, 0);
        var devices = new List<AgentState>(_devices.Length);
        for (var index = 0; index < _devices.Length; index++)
        {
            if (Volatile.Read(ref _devices[index]) is { } state)
            {
                devices.Add(state);
            }
        }

        var file = new StateFile(Seed, _devices.Length, devices);
        cancellationToken.ThrowIfCancellationRequested();
        DurableFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(file, SimulationStateJson.Default.StateFile));
        return Task.CompletedTask;
    }

    private static async Task<StateFile?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, SimulationStateJson.Default.StateFile, cancellationToken)
            ?? throw new JsonException("the file holds JSON null");
    }

    private void Save(int index, AgentState state)
    {
        Volatile.Write(ref _devices[index], state);
        if (FilePath is not null)
        {
            Volatile.Write(ref _dirty, 1);
            _changed.Writer.TryWrite(true);
        }
    }

    private sealed class DeviceStore(SimulationState owner, int index) : IStateStore
    {
        public Task<AgentState?> LoadAsync(CancellationToken cancellationToken) =>
            Task.FromResult(Volatile.Read(ref owner._devices[index]));

        public Task SaveAsync(AgentState state, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(state);
            owner.Save(index, state);
            return Task.CompletedTask;
        }
    }
}

/// <summary>The state file: the run it belongs to, and one entry per device that has run.</summary>
internal sealed record StateFile(int Seed, int Count, IReadOnlyList<AgentState> Devices);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StateFile))]
internal sealed partial class SimulationStateJson : JsonSerializerContext;
