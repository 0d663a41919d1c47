using System.Security.Claims;
using Fleet.Portal.Features.Security;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>Signed-in users of each role, as the UI would pass them to feature services.</summary>
public static class TestActors
{
    public static Actor Admin { get; } = User("tester-admin", Roles.Admin);

    public static Actor Operator { get; } = User("tester", Roles.Operator);

    public static Actor HelpDesk { get; } = User("tester-helpdesk", Roles.HelpDesk);

    public static Actor User(string name, params string[] roles) =>
        Actor.FromUser(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), .. roles.Select(r => new Claim(ClaimTypes.Role, r))], "test")));
}
