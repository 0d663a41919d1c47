using Fleet.Portal.Features.Security;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// The API scopes and the role each one grants. Roles are strictly nested (HelpDesk ⊂ Operator ⊂ Admin),
/// so a token carries the single highest role its scopes allow and the existing role-based policies
/// work unchanged for API callers.
/// </summary>
public static class FleetScopes
{
    /// <summary>Read the fleet: role HelpDesk.</summary>
    public const string Read = "fleet.read";

    /// <summary>Change devices: role Operator.</summary>
    public const string Write = "fleet.write";

    /// <summary>Everything, including users and API clients: role Admin.</summary>
    public const string Admin = "fleet.admin";

    /// <summary>Highest first.</summary>
    public static readonly IReadOnlyList<string> All = [Admin, Write, Read];

    public static readonly IReadOnlyDictionary<string, string> RoleOf = new Dictionary<string, string>
    {
        [Admin] = Roles.Admin,
        [Write] = Roles.Operator,
        [Read] = Roles.HelpDesk,
    };

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Admin] = "Admin: everything, including users and API clients",
        [Write] = "Operator: approve and reject devices, and later configs and commands",
        [Read] = "HelpDesk: read the fleet, device health and events",
    };

    public static bool IsKnown(string scope) => RoleOf.ContainsKey(scope);

    /// <summary>The role the highest of <paramref name="scopes"/> grants, or null when none is a Fleet scope.</summary>
    public static string? HighestRole(IEnumerable<string> scopes)
    {
        var set = scopes.ToHashSet(StringComparer.Ordinal);
        return All.Where(set.Contains).Select(s => RoleOf[s]).FirstOrDefault();
    }

    /// <summary>
    /// The Fleet scopes of <paramref name="requested"/> that a user holding <paramref name="userRoles"/> may
    /// have: a HelpDesk user asking for fleet.admin gets nothing for it, an Admin asking for fleet.read gets
    /// fleet.read (and so only HelpDesk rights in that token).
    /// </summary>
    public static IEnumerable<string> AllowedFor(IEnumerable<string> userRoles, IEnumerable<string> requested)
    {
        var highest = Rank(Roles.All.FirstOrDefault(userRoles.Contains));
        return requested.Where(s => IsKnown(s) && Rank(RoleOf[s]) >= highest);
    }

    // Index in Roles.All: 0 = Admin (most rights); no role ranks below every scope.
    private static int Rank(string? role)
    {
        for (var i = 0; i < Roles.All.Count; i++)
        {
            if (Roles.All[i] == role)
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
