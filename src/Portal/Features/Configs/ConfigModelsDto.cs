namespace Fleet.Portal.Features.Configs;

/// <summary>A config version just saved: its config, its number, and the compiler's warnings about it.</summary>
public sealed record ConfigSaved(int ConfigId, int Version, IReadOnlyList<ConfigProblem> Warnings);

public sealed record ConfigInput(string Name, ConfigSourceLanguage Language, string? Description, string Source, string? Message);

public sealed record ConfigRow(int Id, string Name, ConfigSourceLanguage Language, string? Description, int LatestVersion, DateTimeOffset UpdatedAt, string UpdatedBy, int Assignments);

public sealed record VersionRow(int Number, string Author, string Message, DateTimeOffset CreatedAt, int SourceBytes);

public sealed record VersionDetails(int ConfigId, int Number, string Source, string CompiledJson, string Author, string Message, DateTimeOffset CreatedAt);

public sealed record ConfigDetails(ConfigRow Config, IReadOnlyList<VersionRow> Versions, VersionDetails Latest, IReadOnlyList<AssignmentRow> Assignments);

public sealed record AssignmentRow(int Id, int ConfigId, string ConfigName, ConfigScope Scope, int? GroupId, Guid? DeviceId, string TargetName, DateTimeOffset AssignedAt, string AssignedBy);

/// <summary>A variable as a given role may see it: a secret's value is masked for Operators and absent for HelpDesk.</summary>
public sealed record VariableRow(string Name, string? Value, bool IsSecret, DateTimeOffset UpdatedAt);

public sealed record SshKeyRow(int Id, string? UserName, int? GroupId, string? GroupName, string PublicKey, string Fingerprint, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A device the assigned config does not render for: the templates it lacks (<c>vars.site</c>), or why.
/// </summary>
public sealed record UnrenderedDevice(Guid DeviceId, string Hostname, IReadOnlyList<string> Missing, string Error);

/// <summary>
/// For how many of the approved devices an assignment reaches (the whole fleet for the fleet default, a group's, or the
/// one device) the config renders, and which devices it does not render for (the first <see cref="MaxListed"/>);
/// <see cref="Summary"/> says it in one line: "renders for 1 of 29; 28 lack vars.site".
/// </summary>
public sealed record RenderCoverage(
    int Rendered, int Devices, string Summary, IReadOnlyList<UnrenderedDevice> Unrendered)
{
    /// <summary>At most this many devices are listed; <see cref="Summary"/> counts them all.</summary>
    public const int MaxListed = 200;

    /// <summary>Whether some device the assignment reaches gets no config from it.</summary>
    public bool Partial => Rendered < Devices;

    /// <summary>The coverage of <paramref name="devices"/> devices of which <paramref name="unrendered"/> did not
    /// render: how many lack each template (most first), then how many fail for another reason.</summary>
    public static RenderCoverage Of(int devices, IReadOnlyList<UnrenderedDevice> unrendered)
    {
        ArgumentNullException.ThrowIfNull(unrendered);
        var lacking = unrendered.SelectMany(u => u.Missing).GroupBy(m => m, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"; {g.Count()} lack {g.Key}");
        var other = unrendered.Where(u => u.Missing.Count == 0).ToList();
        var summary = $"renders for {devices - unrendered.Count} of {devices}" + string.Concat(lacking)
            + (other.Count > 0 ? $"; {other.Count} fail: {other[0].Error}" : string.Empty);
        return new(devices - unrendered.Count, devices, summary,
            [.. unrendered.OrderBy(u => u.Hostname, StringComparer.Ordinal).Take(MaxListed)]);
    }
}
