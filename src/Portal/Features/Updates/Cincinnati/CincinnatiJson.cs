using System.Globalization;
using System.Text.Json.Serialization;

namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>
/// A node of the <c>/v1/graph</c> document the portal writes, as Zincati reads it
/// (coreos/zincati docs/development/cincinnati/protocol.md). The agent's parse of it is
/// <c>Fleet.DeviceAgent.Updates.CincinnatiNode</c>.
/// </summary>
public sealed record GraphDocumentNode(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("metadata")] IReadOnlyDictionary<string, string> Metadata,
    [property: JsonPropertyName("payload")] string Payload);

/// <summary>
/// The <c>/v1/graph</c> document the portal writes: nodes and <c>[from, to]</c> index pairs. The agent's parse
/// of it is <c>Fleet.DeviceAgent.Updates.CincinnatiGraph</c>.
/// </summary>
public sealed record GraphDocument(
    [property: JsonPropertyName("nodes")] IReadOnlyList<GraphDocumentNode> Nodes,
    [property: JsonPropertyName("edges")] IReadOnlyList<int[]> Edges);

/// <summary>An error as both Cincinnati and FleetLock clients read it: a short fixed kind and a sentence.</summary>
public sealed record ProtocolError(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("value")] string Value);

[JsonSerializable(typeof(GraphDocument))]
[JsonSerializable(typeof(ProtocolError))]
internal sealed partial class CincinnatiJsonContext : JsonSerializerContext;

/// <summary>Metadata keys and their values, as fedora-coreos-cincinnati <c>commons/src/metadata.rs</c> names them.</summary>
public static class CincinnatiMetadata
{
    public const string Scheme = "org.fedoraproject.coreos.scheme";
    public const string AgeIndex = "org.fedoraproject.coreos.releases.age_index";
    public const string Barrier = "org.fedoraproject.coreos.updates.barrier";
    public const string BarrierReason = "org.fedoraproject.coreos.updates.barrier_reason";
    public const string DeadEnd = "org.fedoraproject.coreos.updates.deadend";
    public const string DeadEndReason = "org.fedoraproject.coreos.updates.deadend_reason";
    public const string Rollout = "org.fedoraproject.coreos.updates.rollout";
    public const string Duration = "org.fedoraproject.coreos.updates.duration_minutes";
    public const string StartEpoch = "org.fedoraproject.coreos.updates.start_epoch";
    public const string StartValue = "org.fedoraproject.coreos.updates.start_value";

    /// <summary>The payload is an OSTree commit checksum.</summary>
    public const string ChecksumScheme = "checksum";

    /// <summary>The payload is an image reference by digest (<c>quay.io/fedora/fedora-coreos@sha256:…</c>).</summary>
    public const string OciScheme = "oci";

    /// <summary>
    /// The wire form of a graph. Metadata as upstream's <c>inject_*</c> functions write it: the age index
    /// and scheme always; barrier/dead-end as "true" with a reason ("generic" when none was given);
    /// rollout as "true" with whichever of start epoch, start value and duration are set.
    /// </summary>
    public static GraphDocument ToWire(UpdateGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var scheme = graph.Oci ? OciScheme : ChecksumScheme;
        var nodes = graph.Nodes.Select(n => new GraphDocumentNode(n.Version, For(n.Release, scheme), n.Payload))
            .ToList();
        return new GraphDocument(nodes, [.. graph.Edges.Select(e => new[] { e.From, e.To })]);
    }

    public static Dictionary<string, string> For(Release release, string scheme = ChecksumScheme)
    {
        ArgumentNullException.ThrowIfNull(release);
        var metadata = new Dictionary<string, string>
        {
            [AgeIndex] = release.AgeIndex.ToString(CultureInfo.InvariantCulture),
            [Scheme] = scheme,
        };
        if (release.IsDeadEnd)
        {
            metadata[DeadEnd] = "true";
            metadata[DeadEndReason] = string.IsNullOrEmpty(release.DeadEndReason) ? "generic" : release.DeadEndReason;
        }

        if (release.IsBarrier)
        {
            metadata[Barrier] = "true";
            metadata[BarrierReason] = string.IsNullOrEmpty(release.BarrierReason) ? "generic" : release.BarrierReason;
        }

        if (release.HasRollout)
        {
            metadata[Rollout] = "true";
            if (release.RolloutStartEpoch is { } epoch)
            {
                metadata[StartEpoch] = epoch.ToString(CultureInfo.InvariantCulture);
            }

            if (release.RolloutStartPercentage is { } start)
            {
                // Rust prints f64 without an exponent and without a trailing ".0": 1.0 → "1", 0.25 → "0.25".
                metadata[StartValue] = start.ToString("0.#################", CultureInfo.InvariantCulture);
            }

            if (release.RolloutDurationMinutes is { } minutes)
            {
                metadata[Duration] = minutes.ToString(CultureInfo.InvariantCulture);
            }
        }

        return metadata;
    }
}
