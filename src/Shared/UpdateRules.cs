using System.Text.RegularExpressions;

namespace Fleet.Shared;

/// <summary>
/// The field rules of OS updates: of the update messages, shared so the portal checks what the agent sends by
/// the same rules the agent applies, and of the names and versions in the portal's release catalogue and in
/// the Cincinnati and FleetLock requests.
/// </summary>
public static partial class UpdateRules
{
    /// <summary>
    /// Whether <paramref name="value"/> is a stream name: 1 to 32 of <c>a–z 0–9 . _ -</c>, alphanumeric first.
    /// </summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a stream name.</returns>
    public static bool IsStreamName(string? value) => value is not null && StreamNamePattern().IsMatch(value);

    /// <summary>
    /// Whether <paramref name="value"/> is a group name: FleetLock's <c>^[a-zA-Z0-9.-]+$</c>, 64 at most.
    /// </summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a group name.</returns>
    public static bool IsGroupName(string? value) => value is not null && GroupNamePattern().IsMatch(value);

    /// <summary>
    /// Whether <paramref name="value"/> is a release version (41.20250105.3.0, 2025.3-rc1+build.4): 1 to
    /// <see cref="Protocol.MaxVersionLength"/> of <c>A–Z a–z 0–9 . _ + ~ -</c>, starting alphanumeric.
    /// </summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a release version.</returns>
    public static bool IsVersion(string? value) => value is not null && VersionPattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is an architecture name (releases.json, Zincati's basearch).</summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for an architecture name.</returns>
    public static bool IsArchitecture(string? value) => value is not null && ArchitecturePattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is an OSTree checksum: 64 lower-case hex digits.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a checksum.</returns>
    public static bool IsChecksum(string? value) => IsLowerHex(value, Protocol.OstreeChecksumLength);

    /// <summary>Whether <paramref name="value"/> is a node id as Zincati sends it: 32 lower-case hex digits.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a node id.</returns>
    public static bool IsNodeUuid(string? value) => IsLowerHex(value, 32);

    /// <summary>Whether <paramref name="value"/> is a command or event id: 1 to <paramref name="maxLength"/> characters of <c>A–Z a–z 0–9 . _ -</c>.</summary>
    /// <param name="value">The text to check.</param>
    /// <param name="maxLength">The longest allowed id.</param>
    /// <returns><see langword="true"/> for a usable id.</returns>
    public static bool IsId(string? value, int maxLength = Protocol.MaxCommandIdLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Whether <paramref name="value"/> is non-blank text of at most <paramref name="maxLength"/> characters without control characters.</summary>
    /// <param name="value">The text to check.</param>
    /// <param name="maxLength">The longest allowed text.</param>
    /// <returns><see langword="true"/> for acceptable text.</returns>
    public static bool IsName(string? value, int maxLength) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= maxLength && !value.Any(char.IsControl);

    /// <summary>Whether <paramref name="value"/> is an absolute <c>http</c> or <c>https</c> URL of at most <see cref="Protocol.MaxUrlLength"/> characters, without query or fragment.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns><see langword="true"/> for a usable base URL.</returns>
    public static bool IsBaseUrl(string? value) =>
        value is { Length: > 0 and <= Protocol.MaxUrlLength }
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);

    /// <summary>
    /// Checks a policy the way the agent does before it acts on it.
    /// </summary>
    /// <param name="policy">The received policy.</param>
    /// <returns>Every broken rule, each prefixed with its field; empty when the policy is usable.</returns>
    public static IReadOnlyList<string> Check(Messages.UpdatePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<string>();
        if (!IsName(policy.Stream, Protocol.MaxUpdateNameLength))
        {
            errors.Add($"stream: 1–{Protocol.MaxUpdateNameLength} characters without control characters");
        }

        if (!IsName(policy.Group, Protocol.MaxUpdateNameLength))
        {
            errors.Add($"group: 1–{Protocol.MaxUpdateNameLength} characters without control characters");
        }

        if (!IsBaseUrl(policy.CincinnatiBaseUrl))
        {
            errors.Add("cincinnatiBaseUrl: an absolute http(s) URL without query");
        }

        if (!IsBaseUrl(policy.FleetLockBaseUrl))
        {
            errors.Add("fleetLockBaseUrl: an absolute http(s) URL without query");
        }

        if (policy.PinnedVersion is not null && !IsName(policy.PinnedVersion, Protocol.MaxVersionLength))
        {
            errors.Add($"pinnedVersion: 1–{Protocol.MaxVersionLength} characters without control characters");
        }

        if (policy.RollbackCommandId is not null && !IsId(policy.RollbackCommandId))
        {
            errors.Add($"rollbackCommandId: 1–{Protocol.MaxCommandIdLength} characters of A–Z a–z 0–9 . _ -");
        }

        return errors;
    }

    private static bool IsLowerHex(string? value, int length) =>
        value is not null && value.Length == length && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,31}$")]
    private static partial Regex StreamNamePattern();

    [GeneratedRegex("^[a-zA-Z0-9.-]{1,64}$")]
    private static partial Regex GroupNamePattern();

    // {0,127}: Protocol.MaxVersionLength (128) less the first character.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[A-Za-z0-9_]{1,32}$")]
    private static partial Regex ArchitecturePattern();
}
