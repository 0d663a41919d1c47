namespace Fleet.Portal.Features.Security;

/// <summary>The three kinds of people (and API clients) Fleet knows.</summary>
public static class Roles
{
    /// <summary>Everything, including users, API clients and settings.</summary>
    public const string Admin = "Admin";

    /// <summary>Devices, configs, updates, commands; no user management.</summary>
    public const string Operator = "Operator";

    /// <summary>Read-only: fleet, device health, events. Sees no secrets, changes nothing.</summary>
    public const string HelpDesk = "HelpDesk";

    public static readonly IReadOnlyList<string> All = [Admin, Operator, HelpDesk];
}

/// <summary>
/// The named policies pages, API endpoints and services all use. A new feature picks one of these
/// (or adds one here); nothing checks role names directly.
/// </summary>
public static class Policies
{
    /// <summary>See the fleet, device health and events (every role).</summary>
    public const string ViewFleet = "fleet.view";

    /// <summary>Change devices: approve, reject, and later configs, updates, commands (Admin, Operator).</summary>
    public const string ManageDevices = "devices.manage";

    /// <summary>Read the audit log (Admin, Operator).</summary>
    public const string ReadAudit = "audit.read";

    /// <summary>Users, roles and API clients (Admin).</summary>
    public const string ManageUsers = "users.manage";

    /// <summary>Agent builds and the agent version each group runs (Admin).</summary>
    public const string ManageAgents = "agents.manage";

    /// <summary>Which TPM manufacturer CAs vouch for devices' endorsement keys (Admin).</summary>
    public const string ManageAttestation = "attestation.manage";

    /// <summary>Alert notification channels (webhooks, e-mail), their secrets and delivery log (Admin).</summary>
    public const string ManageNotifications = "notifications.manage";

    /// <summary>Run the everyday commands on devices: ping, reboot, roll back, update now, units, journal (Admin,
    /// Operator).</summary>
    public const string RunCommands = "commands.run";

    /// <summary>Run the commands that take a device away or run code on it: power off, diagnostics, the browser
    /// terminal; define diagnostics (Admin; Operators too on a group that allows it).</summary>
    public const string RunPrivilegedCommands = "commands.privileged";

    /// <summary>Groups' power plans: when devices are powered off and woken (Admin).</summary>
    public const string ManagePower = "power.manage";

    /// <summary>The roles each policy admits; the single source for registration, tests and docs.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [ViewFleet] = [Roles.Admin, Roles.Operator, Roles.HelpDesk],
        [ManageDevices] = [Roles.Admin, Roles.Operator],
        [ReadAudit] = [Roles.Admin, Roles.Operator],
        [ManageUsers] = [Roles.Admin],
        [ManageAgents] = [Roles.Admin],
        [ManageAttestation] = [Roles.Admin],
        [ManageNotifications] = [Roles.Admin],
        [RunCommands] = [Roles.Admin, Roles.Operator],
        [RunPrivilegedCommands] = [Roles.Admin],
        [ManagePower] = [Roles.Admin],
    };
}
