using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Sign-in through an organisation's OpenID Connect provider. The provider here is a second, real Fleet
/// portal (its OpenIddict server), so the whole code + PKCE flow runs between two real servers and Chromium.
/// </summary>
public sealed class ExternalSignInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string ClientSecret = "external-sign-in-test-secret";

    [Fact]
    public async Task ExternalUser_SignsInThroughProvider_CreatedWithMappedRoleAndAudited()
    {
        await using var provider = await PortalInstance.StartAsync();
        var alice = await provider.Users.CreateAsync(new NewUser("sso-alice", null, "Operator", "alice-password-123"), TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, alice.Kind);
        var takeover = await provider.Users.CreateAsync(new NewUser("admin2", null, "HelpDesk", "admin2-password-123"), TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, takeover.Kind);

        await using var fleet = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            // Another host name than the portal's (127.0.0.1): cookies ignore ports, and two apps on one
            // host would overwrite each other's; a real provider is on its own host anyway.
            ["Fleet:ExternalSignIn:Authority"] = ProviderUrl(provider),
            ["Fleet:ExternalSignIn:ClientId"] = "fleet-sso",
            ["Fleet:ExternalSignIn:ClientSecret"] = ClientSecret,
            ["Fleet:ExternalSignIn:DisplayName"] = "Example Corp",
            ["Fleet:ExternalSignIn:Scopes"] = "openid profile roles fleet.read fleet.write fleet.admin",  // a Fleet provider gives the highest role among the fleet.* scopes asked for that the user holds
            ["Fleet:ExternalSignIn:RequireHttpsMetadata"] = "false",
            ["Fleet:ExternalSignIn:RoleClaim"] = "role",
            ["Fleet:ExternalSignIn:RoleMapping:Operator"] = "Operator",
            ["Fleet:ExternalSignIn:RoleMapping:Admin"] = "Admin",
            ["Fleet:ExternalSignIn:DefaultRole"] = "HelpDesk",
        });
        // The portal binds port 0; its callback is registered once the port is known, before anyone signs in.
        await RegisterClientAsync(provider, fleet.BaseAddress.Port);

        // A local account whose name an external user also has: it must not be handed over.
        var admin2 = await fleet.Users.CreateAsync(
            new NewUser("admin2", null, "Admin", "local-admin2-password"), TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, admin2.Kind);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fleet.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync("/devices");
            await page.GetByTestId("external-sign-in").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"^{ProviderUrl(provider)}account/login"), new() { Timeout = 30_000 });
            await page.FillAsync("#username", "sso-alice");
            await page.FillAsync("#password", "alice-password-123");
            await page.ClickAsync("button[type=submit]");

            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("sso-alice", new() { Timeout = 30_000 });
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"^{fleet.BaseAddress}devices$"));
            await using (var db = await fleet.CreateDbAsync())
            {
                var created = await db.AuditEntries.SingleAsync(a => a.Action == "user.create" && a.EntityId == "sso-alice");
                Assert.Equal(AuditSource.System, created.Source);
                Assert.Contains(await db.AuditEntries.Where(a => a.Action == "user.roles" && a.EntityId == "sso-alice").Select(a => a.After).ToListAsync(), a => a!.Contains("Operator", StringComparison.Ordinal));
            }

            // The provider's "admin2" is not the portal's "admin2".
            await page.Context.ClearCookiesAsync();
            await page.GotoAsync("/account/login");
            await page.GetByTestId("external-sign-in").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"^{ProviderUrl(provider)}account/login"), new() { Timeout = 30_000 });
            await page.FillAsync("#username", "admin2");
            await page.FillAsync("#password", "admin2-password-123");
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already exists and is not linked", new() { Timeout = 30_000 });
            await using (var db = await fleet.CreateDbAsync())
            {
                Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "user.external-link" && a.Outcome == AuditOutcome.Denied && a.EntityId == "admin2"));
            }
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "external-sign-in-failure.png"), FullPage = true });
            throw;
        }
    }

    private static string ProviderUrl(PortalInstance provider) => $"http://localhost:{provider.BaseAddress.Port}/";

    /// <summary>A confidential authorization-code client at the provider whose redirect URI is the portal's callback.</summary>
    private static async Task RegisterClientAsync(PortalInstance provider, int fleetPort)
    {
        await using var scope = provider.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = "fleet-sso",
            ClientSecret = ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Fleet (external sign-in test)",
            RedirectUris = { new Uri($"http://127.0.0.1:{fleetPort}/signin-external") },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Roles,
                Permissions.Prefixes.Scope + "fleet.read",
                Permissions.Prefixes.Scope + "fleet.write",
                Permissions.Prefixes.Scope + "fleet.admin",
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }
}
