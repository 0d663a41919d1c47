using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.State;

/// <summary>
/// Keeps the state in <c>state.json</c> in <see cref="AgentOptions.StateDirectory"/>. The file holds the
/// device's MQTT password, so it is created 0600 in a 0700 directory, and replaced atomically so a
/// power cut during a write leaves either the old or the new credential, never half of one.
/// </summary>
public sealed class FileStateStore(IOptions<AgentOptions> options, ILogger<FileStateStore> logger) : IStateStore
{
    public const string FileName = "state.json";

    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _directory = options.Value.StateDirectory;

    public string FilePath => Path.Combine(_directory, FileName);

    public async Task<AgentState?> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            await using var stream = File.OpenRead(FilePath);
            var state = await JsonSerializer.DeserializeAsync(stream, AgentStateJson.Default.AgentState, cancellationToken);
            if (state is null || string.IsNullOrWhiteSpace(state.EnrollmentId))
            {
                logger.LogError("State file {Path} has no enrolment id; starting a new enrolment", FilePath);
                return null;
            }

            return state;
        }
        catch (JsonException ex)
        {
            // Refusing to start would strand the device; a new enrolment is recoverable from the portal.
            logger.LogError(ex, "State file {Path} is not valid JSON; starting a new enrolment", FilePath);
            return null;
        }
    }

    public async Task SaveAsync(AgentState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The agent keeps its credential with Unix file modes.");
        }

        if (!Directory.Exists(_directory))
        {
            Directory.CreateDirectory(_directory, DirectoryMode700);
        }

        var temporary = FilePath + ".tmp";
        File.Delete(temporary); // a leftover from a crash may have another mode; CreateNew below sets ours
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = FileMode600,
        };
        await using (var stream = new FileStream(temporary, fileOptions))
        {
            await JsonSerializer.SerializeAsync(stream, state, AgentStateJson.Default.AgentState, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        // The umask can narrow UnixCreateMode but never widen it; set it explicitly anyway so an
        // existing file replaced by rename always ends up 0600.
        File.SetUnixFileMode(temporary, FileMode600);
        File.Move(temporary, FilePath, overwrite: true);
    }
}
