using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Users;

/// <summary>User management through the service, as the page calls it, against the real portal and database.</summary>
public sealed class UserServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private const string Password = "correct-horse-battery";

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Create_AsAdmin_UserCanSignInAndCreationAudited()
    {
        var name = Unique("alice");

        var change = await Portal.Users.CreateAsync(new NewUser(name, $"{name}@example.org", Roles.Operator, Password), TestActors.Admin);

        Assert.Equal(OutcomeKind.Done, change.Kind);
        Assert.Null(change.Value);
        await using (var scope = Portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var user = await users.FindByNameAsync(name);
            Assert.NotNull(user);
            Assert.True(await users.CheckPasswordAsync(user, Password));
            Assert.Equal([Roles.Operator], await users.GetRolesAsync(user));
            var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
            Assert.True((await signIn.CheckPasswordSignInAsync(user, Password, lockoutOnFailure: false)).Succeeded);
        }

        var entry = await SingleEntryAsync("user.create", name);
        Assert.Equal(AuditOutcome.Succeeded, entry.Outcome);
        Assert.Equal("tester-admin", entry.Actor);
        Assert.Null(entry.Before);
        Assert.Equal($"{name}: Operator, enabled", entry.After);
        Assert.DoesNotContain(Password, $"{entry.Before}{entry.After}{entry.Detail}", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithoutPassword_GeneratedOnceAndWorks()
    {
        var name = Unique("gen");

        var change = await Portal.Users.CreateAsync(new NewUser(name, null, null, null), TestActors.Admin);

        Assert.Equal(OutcomeKind.Done, change.Kind);
        Assert.NotNull(change.Value);
        Assert.True(await CheckPasswordAsync(name, change.Value));
        var row = Assert.Single((await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.UserName == name);
        Assert.Null(row.Role);
        Assert.False(row.Disabled);
        var entry = await SingleEntryAsync("user.create", name);
        Assert.DoesNotContain(change.Value, $"{entry.Before}{entry.After}{entry.Detail}", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DuplicateNameAndShortPassword_BothErrorsLocatedAndFailureAudited()
    {
        var name = Unique("dup");
        Assert.Equal(
            OutcomeKind.Done,
            (await Portal.Users.CreateAsync(new NewUser(name, null, Roles.HelpDesk, Password), TestActors.Admin)).Kind);

        var change = await Portal.Users.CreateAsync(new NewUser(name, "not-an-address", Roles.HelpDesk, "short"), TestActors.Admin);

        Assert.Equal(OutcomeKind.Invalid, change.Kind);
        Assert.Contains("already taken", change.ErrorFor(UserFields.UserName), StringComparison.Ordinal);
        Assert.Contains("12", change.ErrorFor(UserFields.Password), StringComparison.Ordinal);
        Assert.NotNull(change.ErrorFor(UserFields.Email));
        Assert.Null(change.ErrorFor(UserFields.Role));
        var failed = await SingleEntryAsync("user.create", name, AuditOutcome.Failed);
        Assert.Contains("already taken", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OverlongFieldsAndUnknownRole_Refused()
    {
        var change = await Portal.Users.CreateAsync(
            new NewUser(new string('n', UserService.MaxUserNameLength + 1), new string('e', 250) + "@example.org", "Superuser", Password), TestActors.Admin);

        Assert.Equal(OutcomeKind.Invalid, change.Kind);
        Assert.Contains("64", change.ErrorFor(UserFields.UserName), StringComparison.Ordinal);
        Assert.Contains("256", change.ErrorFor(UserFields.Email), StringComparison.Ordinal);
        Assert.NotNull(change.ErrorFor(UserFields.Role));
        Assert.Null(change.ErrorFor(UserFields.Password));
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.HelpDesk)]
    public async Task EveryMethod_WithoutManageUsers_ForbiddenUnchangedAndDenialAudited(string role)
    {
        var name = Unique("target");
        var id = await CreateAsync(name, Roles.HelpDesk);
        var actor = TestActors.User(Unique("someone"), role);
        var stampBefore = await StampAsync(name);

        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.ListAsync(actor)).Kind);
        Assert.Equal(
            OutcomeKind.Forbidden,
            (await Portal.Users.CreateAsync(new NewUser(name + "x", null, Roles.Admin, Password), actor)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.SetRoleAsync(id, Roles.Admin, actor)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.DisableAsync(id, actor)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.EnableAsync(id, actor)).Kind);
        Assert.Equal(
            OutcomeKind.Forbidden, (await Portal.Users.ResetPasswordAsync(id, "another-long-password", actor)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.ForceSignOutAsync(id, actor)).Kind);

        Assert.Equal(stampBefore, await StampAsync(name));
        Assert.True(await CheckPasswordAsync(name, Password));
        Assert.Null(await FindAsync(name + "x"));
        await using var db = await Portal.CreateDbAsync();
        var denied = await db.AuditEntries.Where(a => a.Actor == actor.Name).ToListAsync();
        Assert.All(denied, a => Assert.Equal(AuditOutcome.Denied, a.Outcome));
        Assert.All(denied, a => Assert.Equal(role, a.ActorRole));
        Assert.Equal(
            ["user.create", "user.disable", "user.enable", "user.list", "user.password-reset", "user.roles", "user.signout"],
            denied.Select(a => a.Action).Order(StringComparer.Ordinal));
        Assert.All(denied.Where(a => a.Action is not ("user.list" or "user.create")), a => Assert.Equal(name, a.EntityId));
    }

    [Fact]
    public async Task Disable_SessionStampChangedSignInRefusedCircuitRevoked_EnableRestores()
    {
        var name = Unique("leaver");
        var id = await CreateAsync(name, Roles.Operator);
        var principal = await PrincipalAsync(name);
        Assert.True(await IsCircuitCurrentAsync(principal));

        Assert.Equal(OutcomeKind.Done, (await Portal.Users.DisableAsync(id, TestActors.Admin)).Kind);

        Assert.False(await IsCircuitCurrentAsync(principal));
        Assert.True((await SignInCheckAsync(name, Password)).IsLockedOut);
        Assert.True(Assert.Single((await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.Id == id).Disabled);
        var entry = await SingleEntryAsync("user.disable", name);
        Assert.Equal($"{name}: Operator, enabled", entry.Before);
        Assert.Equal($"{name}: Operator, disabled", entry.After);

        Assert.Equal(OutcomeKind.Done, (await Portal.Users.EnableAsync(id, TestActors.Admin)).Kind);

        Assert.True((await SignInCheckAsync(name, Password)).Succeeded);
        Assert.Equal($"{name}: Operator, enabled", (await SingleEntryAsync("user.enable", name)).After);
    }

    [Fact]
    public async Task ForceSignOut_StampChangedPasswordStillWorks()
    {
        var name = Unique("roamer");
        var id = await CreateAsync(name, Roles.HelpDesk);
        var principal = await PrincipalAsync(name);

        Assert.Equal(OutcomeKind.Done, (await Portal.Users.ForceSignOutAsync(id, TestActors.Admin)).Kind);

        Assert.False(await IsCircuitCurrentAsync(principal));
        Assert.True((await SignInCheckAsync(name, Password)).Succeeded);
        Assert.Equal(AuditOutcome.Succeeded, (await SingleEntryAsync("user.signout", name)).Outcome);
    }

    [Fact]
    public async Task SetRole_ToOtherRoleAndNone_ExactlyThatRoleAndSessionsEnded()
    {
        var name = Unique("mover");
        var id = await CreateAsync(name, Roles.HelpDesk);
        var principal = await PrincipalAsync(name);

        Assert.Equal(OutcomeKind.Done, (await Portal.Users.SetRoleAsync(id, Roles.Operator, TestActors.Admin)).Kind);
        Assert.Equal(Roles.Operator, (await RowAsync(id)).Role);
        Assert.False(await IsCircuitCurrentAsync(principal));

        Assert.Equal(OutcomeKind.Done, (await Portal.Users.SetRoleAsync(id, null, TestActors.Admin)).Kind);
        Assert.Null((await RowAsync(id)).Role);
        Assert.Equal(OutcomeKind.Invalid, (await Portal.Users.SetRoleAsync(id, "Root", TestActors.Admin)).Kind);

        await using var db = await Portal.CreateDbAsync();
        var entries = await db.AuditEntries.Where(a => a.EntityId == name && a.Action == "user.roles").OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(
            [($"{name}: HelpDesk, enabled", $"{name}: Operator, enabled", AuditOutcome.Succeeded), ($"{name}: Operator, enabled", $"{name}: no role, enabled", AuditOutcome.Succeeded), (null, null, AuditOutcome.Failed)],
            entries.Select(e => (e.Before, e.After, e.Outcome)));
    }

    [Fact]
    public async Task ResetPassword_GeneratedOrChosen_NewPasswordWorksOldDoesNot()
    {
        var name = Unique("forgetful");
        var id = await CreateAsync(name, Roles.Operator);

        var generated = await Portal.Users.ResetPasswordAsync(id, null, TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, generated.Kind);
        Assert.NotNull(generated.Value);
        Assert.True(await CheckPasswordAsync(name, generated.Value));
        Assert.False(await CheckPasswordAsync(name, Password));

        var tooShort = await Portal.Users.ResetPasswordAsync(id, "short", TestActors.Admin);
        Assert.Equal(OutcomeKind.Invalid, tooShort.Kind);
        Assert.NotNull(tooShort.ErrorFor(UserFields.Password));

        Assert.Equal(
            OutcomeKind.Done,
            (await Portal.Users.ResetPasswordAsync(id, "chosen-by-the-admin", TestActors.Admin)).Kind);
        Assert.True(await CheckPasswordAsync(name, "chosen-by-the-admin"));
        await using var db = await Portal.CreateDbAsync();
        var details = await db.AuditEntries.Where(a => a.EntityId == name && a.Action == "user.password-reset").OrderBy(a => a.Id).Select(a => a.Detail).ToListAsync();
        Assert.Equal("password generated", details[0]);
        Assert.Equal("password set by an admin", details[^1]);
        Assert.DoesNotContain(
            details,
            d => d!.Contains(generated.Value, StringComparison.Ordinal)
                || d.Contains("chosen-by", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetOwn_AnyRole_SeesOwnRowWithoutManageUsers()
    {
        var name = Unique("self");
        await CreateAsync(name, Roles.HelpDesk);

        var own = await Portal.Users.GetOwnAsync(TestActors.User(name, Roles.HelpDesk));

        Assert.NotNull(own);
        Assert.Equal(Roles.HelpDesk, own.Role);
    }

    [Fact]
    public async Task UnknownUser_NotFound()
    {
        Assert.Equal(
            OutcomeKind.NotFound, (await Portal.Users.DisableAsync(Guid.NewGuid().ToString(), TestActors.Admin)).Kind);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<string> CreateAsync(string name, string role)
    {
        var change = await Portal.Users.CreateAsync(new NewUser(name, null, role, Password), TestActors.Admin);
        Assert.True(change.Succeeded, string.Join("; ", change.Errors));
        return (await FindAsync(name))!.Id;
    }

    private async Task<IdentityUser?> FindAsync(string name)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync(name);
    }

    private async Task<UserRow> RowAsync(string id) => Assert.Single(
        (await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.Id == id);

    private async Task<string?> StampAsync(string name) => (await FindAsync(name))?.SecurityStamp;

    private async Task<bool> CheckPasswordAsync(string name, string password)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return await users.CheckPasswordAsync((await users.FindByNameAsync(name))!, password);
    }

    private async Task<SignInResult> SignInCheckAsync(string name, string password)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        return await signIn.CheckPasswordSignInAsync((await signIn.UserManager.FindByNameAsync(name))!, password, lockoutOnFailure: false);
    }

    /// <summary>The principal a sign-in would put in the cookie (with the security stamp claim).</summary>
    private async Task<System.Security.Claims.ClaimsPrincipal> PrincipalAsync(string name)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        return await signIn.CreateUserPrincipalAsync((await signIn.UserManager.FindByNameAsync(name))!);
    }

    /// <summary>What an open Blazor circuit's periodic revalidation would decide for this principal.</summary>
    private async Task<bool> IsCircuitCurrentAsync(System.Security.Claims.ClaimsPrincipal principal)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var provider = Assert.IsType<IdentityRevalidatingAuthenticationStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        return await provider.IsCurrentAsync(principal);
    }

    private async Task<AuditEntry> SingleEntryAsync(string action, string entityId, AuditOutcome outcome = AuditOutcome.Succeeded)
    {
        await using var db = await Portal.CreateDbAsync();
        return await db.AuditEntries.SingleAsync(a => a.Action == action && a.EntityId == entityId && a.Outcome == outcome);
    }
}
