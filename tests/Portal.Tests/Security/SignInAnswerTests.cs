using System.Net;
using System.Text.RegularExpressions;
using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Security;

/// <summary>
/// The sign-in form answers every failure alike, so it does not tell which user names exist: a wrong
/// password, an unknown user and a locked-out account (even with the right password) read the same.
/// Admins still find the reason in the log and the lockout in the audit log.
/// </summary>
public sealed partial class SignInAnswerTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private const string Password = "a-long-enough-password";

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task SignIn_ExistingAndUnknownUser_SameAnswerBeforeAndAfterLockout()
    {
        var known = await CreateUserAsync("known");
        var unknown = Unique("nobody");

        var wrongPassword = await FailedSignInAsync(known, "not-the-password");
        var noSuchUser = await FailedSignInAsync(unknown, "not-the-password");
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            await FailedSignInAsync(known, "not-the-password");
            await FailedSignInAsync(unknown, "not-the-password");
        }

        var lockedRightPassword = await FailedSignInAsync(known, Password);
        var unknownAfterAsMany = await FailedSignInAsync(unknown, Password);

        Assert.Equal(PasswordSignIn.FailedMessage, wrongPassword);
        Assert.All([noSuchUser, lockedRightPassword, unknownAfterAsMany], a => Assert.Equal(wrongPassword, a));
        AssertLogged($"Failed sign-in for {unknown}: no such user");
        AssertLogged($"Failed sign-in for {known}: wrong password, now locked out");
        AssertLogged($"Failed sign-in for {known}: locked out or disabled");
        var filter = new AuditFilter(ActionPrefix: "user.lockout", EntityType: "user");
        var lockouts = await Portal.AuditQuery.PageAsync(new AuditQuery(filter), TestActors.Admin);
        var entry = Assert.Single(lockouts.Rows, e => e.EntityId == known);
        Assert.Equal(AuditOutcome.Denied, entry.Outcome);
        Assert.Equal("127.0.0.1", entry.RemoteAddress);
        Assert.DoesNotContain(lockouts.Rows, e => e.EntityId == unknown);
    }

    [Fact]
    public async Task SignIn_DisabledUserWithRightPassword_SameAnswerAsUnknownUser()
    {
        var name = await CreateUserAsync("disabled");
        var id = Assert.Single((await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.UserName == name).Id;
        Assert.True((await Portal.Users.DisableAsync(id, TestActors.Admin)).Succeeded);

        Assert.Equal(PasswordSignIn.FailedMessage, await FailedSignInAsync(name, Password));
        Assert.Equal(PasswordSignIn.FailedMessage, await FailedSignInAsync(Unique("nobody"), Password));
    }

    private async Task<string> CreateUserAsync(string prefix)
    {
        var name = Unique(prefix);
        var user = new NewUser(name, null, Roles.Operator, Password);
        var created = await Portal.Users.CreateAsync(user, TestActors.Admin);
        Assert.True(created.Succeeded);
        return name;
    }

    private void AssertLogged(string message) =>
        Assert.Contains(Portal.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message == message);

    /// <summary>Posts the sign-in form as a browser does; asserts no session; returns the alert's text.</summary>
    private async Task<string> FailedSignInAsync(string userName, string password)
    {
        using var client = CookieClient.Anonymous(Portal.BaseAddress);

        using var response = await CookieClient.PostSignInFormAsync(client, userName, password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [];
        Assert.DoesNotContain(cookies, c => c.StartsWith("fleet.auth=", StringComparison.Ordinal));
        var alert = Alert().Match(await response.Content.ReadAsStringAsync());
        Assert.True(alert.Success, "the sign-in page shows no error");
        return WebUtility.HtmlDecode(alert.Groups[1].Value);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    [GeneratedRegex("<div class=\"account-error\" role=\"alert\">([^<]*)</div>", RegexOptions.None, 1000)]
    private static partial Regex Alert();
}
