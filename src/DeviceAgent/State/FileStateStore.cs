using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.State;

/// <summary>
/// Keeps the state in <c>state.json</c> in <see cref="AgentOptions.StateDirectory"/>. The file holds the
/// device's MQTT password, so it is a <see cref="DurableFile"/>: 0600 in a 0700 directory, replaced atomically.
/// </summary>
public sealed class FileStateStore(IOptions<AgentOptions> options, ILogger<FileStateStore> logger) : IStateStore
{
    public const string FileName = "state.json";

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

    public Task SaveAsync(AgentState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        cancellationToken.ThrowIfCancellationRequested();
        DurableFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(state, AgentStateJson.Default.AgentState));
        return Task.CompletedTask;
    }
}
