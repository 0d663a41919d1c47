namespace Fleet.Shared;

/// <summary>The field rules of the update messages, shared so the portal checks what the agent sends by the same rules the agent applies.</summary>
public static class UpdateRules
{
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
}
