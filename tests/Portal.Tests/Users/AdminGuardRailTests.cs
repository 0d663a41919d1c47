using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Users;

/// <summary>
/// An admin cannot lock themselves out, and nobody can leave the portal without an enabled Admin. One
/// portal of its own and one test: the guard depends on how many admins exist, which other tests change.
/// </summary>
public sealed class AdminGuardRailTests
{
    [Fact]
    public async Task DisableOrDemote_SelfOrLastEnabledAdmin_RefusedWithReasonAndAudited()
    {
        await using var portal = await PortalInstance.StartAsync();
        var users = portal.Users;
        var admin = Id(await users.ListAsync(TestActors.Admin), "admin");

        // "admin" is the only Admin: neither disabling nor demoting it is allowed.
        var disable = await users.DisableAsync(admin, TestActors.Admin);
        Assert.Equal(OutcomeKind.Conflict, disable.Kind);
        Assert.Contains("last enabled Admin", disable.ErrorFor(UserFields.General), StringComparison.Ordinal);
        Assert.Equal(OutcomeKind.Conflict, (await users.SetRoleAsync(admin, Roles.Operator, TestActors.Admin)).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await users.SetRoleAsync(admin, null, TestActors.Admin)).Kind);
        Assert.Equal(OutcomeKind.Done, (await users.SetRoleAsync(admin, Roles.Admin, TestActors.Admin)).Kind);

        // A second admin may not disable or demote themselves, whoever else is Admin.
        Assert.True((await users.CreateAsync(new NewUser("boss", null, Roles.Admin, "boss-long-password"), TestActors.Admin)).Succeeded);
        var boss = Id(await users.ListAsync(TestActors.Admin), "boss");
        var bossActor = TestActors.User("boss", Roles.Admin);
        var self = await users.DisableAsync(boss, bossActor);
        Assert.Equal(OutcomeKind.Conflict, self.Kind);
        Assert.Contains("your own account", self.ErrorFor(UserFields.General), StringComparison.Ordinal);
        Assert.Equal(OutcomeKind.Conflict, (await users.SetRoleAsync(boss, Roles.Operator, bossActor)).Kind);

        // With two enabled admins one may go; then the other is the last.
        Assert.Equal(OutcomeKind.Done, (await users.DisableAsync(admin, bossActor)).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await users.SetRoleAsync(boss, Roles.HelpDesk, TestActors.Admin)).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await users.DisableAsync(boss, TestActors.Admin)).Kind);

        // A disabled Admin does not count, and enabling it makes demoting the other possible again.
        Assert.Equal(OutcomeKind.Done, (await users.EnableAsync(admin, bossActor)).Kind);
        Assert.Equal(OutcomeKind.Done, (await users.SetRoleAsync(boss, Roles.Operator, TestActors.Admin)).Kind);

        var list = (await users.ListAsync(TestActors.Admin)).Value!;
        Assert.Equal([("admin", Roles.Admin, false), ("boss", Roles.Operator, false)], list.Select(u => (u.UserName, u.Role, u.Disabled)));
        await using var db = await portal.CreateDbAsync();
        var failed = await db.AuditEntries.Where(a => a.EntityType == "user" && a.Outcome == AuditOutcome.Failed).CountAsync();
        Assert.Equal(7, failed);
    }

    private static string Id(Outcome<IReadOnlyList<UserRow>> list, string name) =>
        Assert.Single(list.Value!, u => u.UserName == name).Id;
}
