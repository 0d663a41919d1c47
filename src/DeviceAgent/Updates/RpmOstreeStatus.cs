using System.Text.Json;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>One entry of <c>rpm-ostree status --json</c> <c>deployments</c> (the fields the agent uses).</summary>
/// <param name="Checksum">The deployment's commit (with layered packages, a local commit).</param>
/// <param name="BaseChecksum">The base commit under layered packages (<c>base-checksum</c>); absent without layering.</param>
/// <param name="Version">The release version, if the commit names one.</param>
/// <param name="Origin">The origin refspec, if any.</param>
/// <param name="ContainerImageReference">The container image the deployment came from, if any.</param>
/// <param name="Booted">Whether it is the booted deployment.</param>
/// <param name="Staged">Whether it is staged for the next boot.</param>
/// <param name="Pinned">Whether it is pinned (ostree admin pin).</param>
/// <param name="Timestamp">The commit's time.</param>
public sealed record OstreeDeployment(
    string Checksum,
    string? BaseChecksum,
    string? Version,
    string? Origin,
    string? ContainerImageReference,
    bool Booted,
    bool Staged,
    bool Pinned,
    DateTimeOffset? Timestamp)
{
    /// <summary>The release commit: what Cincinnati payloads name and what Zincati compares (base-checksum, else checksum).</summary>
    public string BaseRevision => BaseChecksum ?? Checksum;

    /// <summary>For the portal: fields cut to the protocol's limits, so one odd value cannot get a whole report dropped.</summary>
    public DeploymentInfo ToInfo() => new(
        BaseRevision,
        Cut(Version, Protocol.MaxVersionLength),
        Cut(ContainerImageReference ?? Origin, Protocol.MaxOriginLength),
        Pinned,
        Timestamp);

    private static string? Cut(string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        var clean = new string(value.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return clean.Length == 0 ? null : clean.Length <= max ? clean : clean[..max];
    }
}

/// <summary>Parsed <c>rpm-ostree status --json</c>. Deployments are in rpm-ostree's order: the default for the next boot first.</summary>
public sealed record RpmOstreeStatus(IReadOnlyList<OstreeDeployment> Deployments, string? UpdateDriver = null)
{
    public OstreeDeployment? Booted => Deployments.FirstOrDefault(d => d.Booted);

    public OstreeDeployment? Staged => Deployments.FirstOrDefault(d => d.Staged);

    /// <summary>What <c>rpm-ostree rollback</c> would boot: the first deployment listed after the booted one.</summary>
    public OstreeDeployment? Rollback => Deployments.SkipWhile(d => !d.Booted).Skip(1).FirstOrDefault(d => !d.Staged);

    /// <summary>
    /// Reads the JSON with <see cref="JsonDocument"/> rather than a serializer: rpm-ostree's keys are
    /// kebab-case and its objects carry dozens of fields the agent does not need.
    /// </summary>
    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="FormatException">JSON without a usable <c>deployments</c> array.</exception>
    public static RpmOstreeStatus Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("deployments", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("no 'deployments' array");
        }

        var deployments = new List<OstreeDeployment>();
        foreach (var d in list.EnumerateArray())
        {
            var checksum = String(d, "checksum");
            if (d.ValueKind != JsonValueKind.Object || !UpdateRules.IsChecksum(checksum))
            {
                throw new FormatException($"deployment {deployments.Count} has no 64-hex-digit 'checksum'");
            }

            var baseChecksum = String(d, "base-checksum");
            deployments.Add(new OstreeDeployment(
                checksum!,
                UpdateRules.IsChecksum(baseChecksum) ? baseChecksum : null,
                String(d, "version"),
                String(d, "origin"),
                String(d, "container-image-reference"),
                Bool(d, "booted"),
                Bool(d, "staged"),
                Bool(d, "pinned"),
                d.TryGetProperty("timestamp", out var t) && t.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null));
        }

        // "update-driver" is null, or names the registered driver (Zincati registers itself).
        string? driver = null;
        if (root.TryGetProperty("update-driver", out var u) && u.ValueKind == JsonValueKind.Object)
        {
            driver = String(u, "driver-name");
        }

        return new RpmOstreeStatus(deployments, driver);
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // A missing flag means false: rpm-ostree leaves "staged" out of deployments that are not staged.
    private static bool Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
