using System.Security.Claims;
using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Account;

/// <summary>A user's own account (password, time zone, two-factor) through the service the page calls.</summary>
public sealed class OwnAccountServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private const string Password = "correct-horse-battery";

    private PortalInstance Portal => fixture.Portal;

    private OwnAccountService Accounts => Portal.Services.GetRequiredService<OwnAccountService>();

    [Fact]
    public async Task ChangePassword_WithCurrentPassword_NewOneWorksSessionsEndAndAudited()
    {
        var name = await CreateAsync("own", Roles.Operator);
        var stamp = await StampAsync(name);

        var actor = TestActors.User(name, Roles.Operator);
        var change = await Accounts.ChangePasswordAsync(actor, Password, "a-brand-new-passphrase");

        Assert.True(change.Succeeded, string.Join("; ", change.Errors));
        Assert.True(await CheckPasswordAsync(name, "a-brand-new-passphrase"));
        Assert.False(await CheckPasswordAsync(name, Password));
        Assert.NotEqual(stamp, await StampAsync(name));
        var entry = await SingleEntryAsync("user.own-password", name);
        Assert.Equal(name, entry.Actor);
        Assert.DoesNotContain(
            "a-brand-new-passphrase", $"{entry.Before}{entry.After}{entry.Detail}", StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangePassword_WrongCurrentOrShortNew_RefusedAtTheFieldAndAudited()
    {
        var name = await CreateAsync("wrong", Roles.Operator);
        var stamp = await StampAsync(name);
        var actor = TestActors.User(name, Roles.Operator);

        var wrong = await Accounts.ChangePasswordAsync(actor, "not-my-password", "a-brand-new-passphrase");
        var tooShort = await Accounts.ChangePasswordAsync(actor, Password, "short");

        Assert.Equal(OutcomeKind.Invalid, wrong.Kind);
        Assert.NotNull(wrong.ErrorFor(AccountFields.CurrentPassword));
        Assert.Contains("12", tooShort.ErrorFor(AccountFields.NewPassword), StringComparison.Ordinal);
        Assert.True(await CheckPasswordAsync(name, Password));
        Assert.Equal(stamp, await StampAsync(name));
        await using var db = await Portal.CreateDbAsync();
        Assert.Equal(2, await db.AuditEntries.CountAsync(
            a => a.Action == "user.own-password" && a.EntityId == name && a.Outcome == AuditOutcome.Failed));
    }

    [Fact]
    public async Task HelpDesk_OwnPasswordAndTimeZone_ChangedYetUsersStillForbidden()
    {
        var name = await CreateAsync("desk", Roles.HelpDesk);
        var actor = TestActors.User(name, Roles.HelpDesk);

        Assert.True((await Accounts.ChangePasswordAsync(actor, Password, "help-desk-new-password")).Succeeded);
        Assert.True((await Accounts.SetTimeZoneAsync(actor, "Asia/Kolkata")).Succeeded);

        Assert.Equal("Asia/Kolkata", (await Accounts.GetAsync(actor))!.TimeZoneId);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.ListAsync(actor)).Kind);
        var other = await CreateAsync("other", Roles.Operator);
        var id = (await FindAsync(other))!.Id;
        var reset = await Portal.Users.ResetPasswordAsync(id, "x-long-enough-password", actor);
        Assert.Equal(OutcomeKind.Forbidden, reset.Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Portal.Users.ResetTwoFactorAsync(id, actor)).Kind);
    }

    [Fact]
    public async Task SetTimeZone_KnownUnknownAndCleared_StoredAsClaimAndAudited()
    {
        var name = await CreateAsync("zone", Roles.Operator);
        var actor = TestActors.User(name, Roles.Operator);

        var unknown = await Accounts.SetTimeZoneAsync(actor, "Mars/Olympus_Mons");
        Assert.NotNull(unknown.ErrorFor(AccountFields.TimeZone));
        Assert.Null(await Accounts.TimeZoneOfAsync(actor.Principal));

        Assert.True((await Accounts.SetTimeZoneAsync(actor, "Pacific/Auckland")).Succeeded);
        Assert.Equal("Pacific/Auckland", (await Accounts.TimeZoneOfAsync(actor.Principal))?.Id);
        Assert.Equal(["Pacific/Auckland"], await ClaimsAsync(name));
        var entry = await SingleEntryAsync("user.time-zone", name);
        Assert.Equal($"{name}: time zone of the browser, two-factor off", entry.Before);
        Assert.Equal($"{name}: time zone Pacific/Auckland, two-factor off", entry.After);

        Assert.True((await Accounts.SetTimeZoneAsync(actor, null)).Succeeded);
        Assert.Empty(await ClaimsAsync(name));
        Assert.Null(await Accounts.TimeZoneOfAsync(actor.Principal));
    }

    [Fact]
    public async Task TwoFactor_ConfirmedByAppCode_RecoveryCodesThenAdminResetEndsIt()
    {
        var name = await CreateAsync("totp", Roles.Operator);
        var actor = TestActors.User(name, Roles.Operator);
        var stamp = await StampAsync(name);

        var key = (await Accounts.AuthenticatorKeyAsync(actor)).Value!;
        Assert.Equal(key, (await Accounts.AuthenticatorKeyAsync(actor)).Value);   // an unfinished set-up keeps its key
        Assert.StartsWith($"otpauth://totp/Fleet:{name}?secret={key.Key}", key.Uri, StringComparison.Ordinal);
        var now = Portal.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var wrong = await Accounts.EnableTwoFactorAsync(actor, Totp.WrongCode(key.Key, now));
        Assert.NotNull(wrong.ErrorFor(AccountFields.Code));
        Assert.False((await Accounts.GetAsync(actor))!.TwoFactorEnabled);

        var codes = await Accounts.EnableTwoFactorAsync(actor, Totp.Code(OwnAccountService.Grouped(key.Key), now));

        Assert.True(codes.Succeeded, string.Join("; ", codes.Errors));
        Assert.Equal(OwnAccountService.RecoveryCodeCount, codes.Value!.Distinct().Count());
        var own = (await Accounts.GetAsync(actor))!;
        Assert.True(own.TwoFactorEnabled);
        Assert.Equal(OwnAccountService.RecoveryCodeCount, own.RecoveryCodesLeft);
        Assert.Equal(stamp, await StampAsync(name));   // the page showing the codes is not signed out
        Assert.Equal(OutcomeKind.Conflict, (await Accounts.AuthenticatorKeyAsync(actor)).Kind);
        var enabled = await SingleEntryAsync("user.two-factor-enable", name);
        Assert.Equal($"{name}: time zone of the browser, two-factor on", enabled.After);
        var refused = await SingleEntryAsync("user.two-factor-enable", name, AuditOutcome.Failed);
        Assert.Contains("does not match", refused.Detail, StringComparison.Ordinal);
        Assert.True((await RowAsync(name)).TwoFactorEnabled);

        var reset = await Portal.Users.ResetTwoFactorAsync((await FindAsync(name))!.Id, TestActors.Admin);

        Assert.True(reset.Succeeded, string.Join("; ", reset.Errors));
        own = (await Accounts.GetAsync(actor))!;
        Assert.False(own.TwoFactorEnabled);
        Assert.Equal(0, own.RecoveryCodesLeft);
        Assert.NotEqual(stamp, await StampAsync(name));
        Assert.NotEqual(key.Key, (await Accounts.AuthenticatorKeyAsync(actor)).Value!.Key);
        var entry = await SingleEntryAsync("user.two-factor-reset", name);
        Assert.Equal("tester-admin", entry.Actor);
        Assert.Equal($"{name}: Operator, enabled, two-factor on", entry.Before);
        Assert.Equal($"{name}: Operator, enabled", entry.After);
    }

    [Theory]
    [InlineData("pwd", Roles.Operator, true)]
    [InlineData("mfa", Roles.Operator, false)]
    [InlineData("pwd", Roles.HelpDesk, false)]
    [InlineData(null, Roles.Operator, false)]   // external sign-in and bearer tokens carry no "pwd"
    public void SecondFactor_OperatorsRequired_OwedOnlyAfterPasswordAlone(string? method, string role, bool owes)
    {
        var options = new AccountOptions { TwoFactorRequiredRoles = [Roles.Admin, Roles.Operator] };
        var claims = new List<Claim> { new(ClaimTypes.Name, "someone"), new(ClaimTypes.Role, role) };
        if (method is not null)
        {
            claims.Add(new Claim(SecondFactorRequirement.MethodClaim, method));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
        Assert.Equal(owes, SecondFactorRequirement.Owes(principal, options));
    }

    [Theory]
    [InlineData("QMH66-3FVDC", "QMH66-3FVDC")]
    [InlineData(" qmh66 3fvdc ", "QMH66-3FVDC")]
    [InlineData("qmh663fvdc", "QMH66-3FVDC")]
    [InlineData("123456", "123456")]
    public void RecoveryCodeForm_AsTyped_AsIdentityStoresIt(string typed, string stored) =>
        Assert.Equal(stored, OwnAccountService.RecoveryCodeForm(typed));

    [Fact]
    public async Task Options_UnknownRequiredRole_PortalRefusesToStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            PortalInstance.StartAsync(
                new Dictionary<string, string?> { ["Fleet:Accounts:TwoFactorRequiredRoles:0"] = "Operators" }));

        Assert.Contains("TwoFactorRequiredRoles", failure.Message, StringComparison.Ordinal);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<string> CreateAsync(string prefix, string role)
    {
        var name = Unique(prefix);
        var change = await Portal.Users.CreateAsync(new NewUser(name, null, role, Password), TestActors.Admin);
        Assert.True(change.Succeeded, string.Join("; ", change.Errors));
        return name;
    }

    private async Task<IdentityUser?> FindAsync(string name)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync(name);
    }

    private async Task<UserRow> RowAsync(string name) => Assert.Single(
        (await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.UserName == name);

    private async Task<string?> StampAsync(string name) => (await FindAsync(name))?.SecurityStamp;

    private async Task<List<string>> ClaimsAsync(string name)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return [.. (await users.GetClaimsAsync((await users.FindByNameAsync(name))!))
            .Where(c => c.Type == OwnAccountService.TimeZoneClaim).Select(c => c.Value)];
    }

    private async Task<bool> CheckPasswordAsync(string name, string password)
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return await users.CheckPasswordAsync((await users.FindByNameAsync(name))!, password);
    }

    private async Task<AuditEntry> SingleEntryAsync(
        string action, string entityId, AuditOutcome outcome = AuditOutcome.Succeeded)
    {
        await using var db = await Portal.CreateDbAsync();
        return await db.AuditEntries.SingleAsync(
            a => a.Action == action && a.EntityId == entityId && a.Outcome == outcome);
    }
}
