using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>
/// The query parameters Zincati sends to <c>/v1/graph</c>, as received (any may be missing); the agent's side,
/// which sends them, is <c>Fleet.DeviceAgent.Updates.GraphQuery</c>.
/// </summary>
public sealed record GraphRequest(
    string? Basearch,
    string? Stream,
    string? OsVersion = null,
    string? OsChecksum = null,
    string? Group = null,
    string? NodeUuid = null,
    string? Platform = null,
    string? RolloutWariness = null,
    string? Oci = null);

/// <summary>A graph, the stream that was answered (it can differ from the one asked for) and the device asking.
/// </summary>
public sealed record ServedGraph(GraphDocument Graph, string Stream, Guid? DeviceId);

/// <summary>
/// Answers Zincati's graph requests: the stream's graph as the Fedora CoreOS Cincinnati service builds it
/// (<see cref="UpdateGraph"/>), narrowed by the portal's policy for the asking device (<see cref="GraphPolicy"/>).
/// A device is recognised by <c>node_uuid</c>: Zincati derives it from the machine-id
/// (<see cref="NodeUuid"/>), and the portal stores the same value for every enrolled device.
/// </summary>
public sealed class UpdateGraphService(IDbContextFactory<FleetDbContext> dbFactory, TimeProvider time, ILogger<UpdateGraphService> logger)
{
    public const string MissingParameter = "missing_parameter";
    public const string InvalidParameter = "invalid_parameter";
    public const string InvalidVersion = "invalid_version";
    public const string UnknownStream = "unknown_stream";

    /// <summary>
    /// The graph for one request. An approved device matched by <c>node_uuid</c> gets the graph of its
    /// assigned stream (device, else group, else fleet default) with its own, its group's and its stream's
    /// pause and pin, whatever stream it asked for: Zincati cannot change streams (that takes a rebase), so
    /// a device asking for another stream than its assignment finds its booted release missing from the
    /// answer and stays put rather than following a stream it was moved off. Any other client gets the
    /// stream it asked for, with the policy of the group named by its <c>group</c> parameter, if there is one.
    /// </summary>
    public async Task<Outcome<ServedGraph>> GetGraphAsync(
        GraphRequest query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Validate(query) is { } invalid)
        {
            return invalid;
        }

        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var nodeUuid = NodeUuid.Normalize(query.NodeUuid);
        var device = nodeUuid is null
            ? null
            : await db.Devices.AsNoTracking()
                .Where(d => d.NodeUuid == nodeUuid && d.State == EnrollmentState.Approved)
                .OrderByDescending(d => d.LastSeenAt)
                .FirstOrDefaultAsync(cancellationToken);
        var group = device is not null
            ? await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == (device.GroupId ?? DeviceGroup.DefaultId), cancellationToken)
            : await db.DeviceGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Name == query.Group, cancellationToken);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streamName = device is null ? query.Stream! : UpdatePlanner.AssignedStream(device, group, settings);
        var stream = await db.UpdateStreams.AsNoTracking().SingleOrDefaultAsync(s => s.Name == streamName, cancellationToken);
        if (stream is null)
        {
            return Outcome.NotFound($"unknown stream '{streamName}'") with { Code = UnknownStream };
        }

        if (device is not null && streamName != query.Stream)
        {
            logger.LogInformation("Device {DeviceId:N} asked for stream {Asked} but is assigned {Assigned}; answering {Assigned}",
                device.Id, query.Stream, streamName, streamName);
        }

        var releases = await db.Releases.AsNoTracking().Include(r => r.Architectures)
            .Where(r => r.StreamName == streamName)
            .OrderBy(r => r.AgeIndex)
            .ToListAsync(cancellationToken);
        var graph = UpdateGraph.Build(releases, query.Basearch!, ParseOci(query.Oci) == true);
        var policy = new GraphPolicyInput(
            Rollout.Wariness(query.RolloutWariness, query.NodeUuid),
            now,
            UpdatePlanner.PausedBy(device, group, stream, now).Level,
            UpdatePlanner.Pin(device, group).Version);
        var answer = GraphPolicy.Apply(graph, policy);
        return Outcome.Of(new ServedGraph(CincinnatiMetadata.ToWire(answer), streamName, device?.Id));
    }

    /// <summary>The <c>oci</c> flag as upstream reads it (a boolean): false when absent, null when malformed.</summary>
    internal static bool? ParseOci(string? value) =>
        string.IsNullOrEmpty(value) ? false : bool.TryParse(value, out var oci) ? oci : null;

    private static Outcome Invalid(string code, string message) => Outcome.Invalid("", message) with { Code = code };

    private static Outcome? Validate(GraphRequest query)
    {
        foreach (var (name, value) in new[] { ("basearch", query.Basearch), ("stream", query.Stream) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return Invalid(MissingParameter, $"missing {name}");
            }
        }

        if (!UpdateRules.IsArchitecture(query.Basearch!))
        {
            return Invalid(InvalidParameter, "basearch is not an architecture name");
        }

        if (!UpdateRules.IsStreamName(query.Stream!))
        {
            return Invalid(InvalidParameter, "stream is not a stream name");
        }

        if (query.OsVersion is { Length: > 0 } version && !UpdateRules.IsVersion(version))
        {
            return Invalid(InvalidVersion, "os_version is not a release version");
        }

        if (query.Group is { Length: > 0 } group && !UpdateRules.IsGroupName(group))
        {
            return Invalid(InvalidParameter, "group must match ^[a-zA-Z0-9.-]+$ (at most 64 characters)");
        }

        if (query.NodeUuid is { Length: > 0 } uuid && NodeUuid.Normalize(uuid) is null)
        {
            return Invalid(InvalidParameter, "node_uuid is not a 128-bit id (32 hex digits)");
        }

        if (query.RolloutWariness is { Length: > 0 } wariness && Rollout.ParseWariness(wariness) is null)
        {
            return Invalid(InvalidParameter, "rollout_wariness is not a number");
        }

        if (ParseOci(query.Oci) is null)
        {
            return Invalid(InvalidParameter, "oci must be true or false");
        }

        if (query.OsChecksum?.Length > 256 || query.Platform?.Length > 64)
        {
            return Invalid(InvalidParameter, "os_checksum or platform is too long");
        }

        return null;
    }
}
