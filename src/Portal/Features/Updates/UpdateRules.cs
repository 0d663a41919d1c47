using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Updates;

/// <summary>The shapes of names and versions, shared by validation, import and the device-facing endpoints.</summary>
public static partial class UpdateRules
{
    /// <summary>Stream names: lower case, digits, dot, dash and underscore, 1 to 32, starting alphanumeric.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,31}$")]
    public static partial Regex StreamName();

    /// <summary>Group names: FleetLock's <c>^[a-zA-Z0-9.-]+$</c>, at most 64 characters.</summary>
    [GeneratedRegex("^[a-zA-Z0-9.-]{1,64}$")]
    public static partial Regex GroupName();

    /// <summary>Release versions (41.20250105.3.0, 2025.3-rc1+build.4): 1 to 64 characters, no spaces or slashes.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$")]
    public static partial Regex Version();

    /// <summary>Architecture names as in releases.json and Zincati's basearch.</summary>
    [GeneratedRegex("^[A-Za-z0-9_]{1,32}$")]
    public static partial Regex Architecture();

    /// <summary>An OSTree commit checksum: SHA-256 in hex.</summary>
    [GeneratedRegex("^[0-9a-f]{64}$")]
    public static partial Regex Checksum();
}
