using System.Security.Claims;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// Optional sign-in through an external OpenID Connect provider. The external identity is linked to a
/// local Identity user (created on first sign-in when allowed), so roles, policies, disabling and the
/// audit log work exactly as for local users.
/// </summary>
internal static class ExternalSignIn
{
    public static void AddExternalSignIn(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExternalSignInOptions>().BindConfiguration(ExternalSignInOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.Enabled || (!string.IsNullOrWhiteSpace(o.ClientId) && Uri.TryCreate(o.Authority, UriKind.Absolute, out _)),
                "Fleet:ExternalSignIn needs an absolute Authority URL and a ClientId")
            .Validate(o => o.RoleMapping.Values.Concat(o.DefaultRole is { Length: > 0 } r ? [r] : []).All(Roles.All.Contains),
                "Fleet:ExternalSignIn role mappings must name Admin, Operator or HelpDesk")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(ExternalSignInOptions.Section).Get<ExternalSignInOptions>() ?? new ExternalSignInOptions();
        if (!options.Enabled)
        {
            return;
        }

        builder.Services.AddAuthentication().AddOpenIdConnect(ExternalSignInOptions.Scheme, options.DisplayName, o =>
        {
            o.SignInScheme = IdentityConstants.ExternalScheme;
            o.Authority = options.Authority;
            o.ClientId = options.ClientId;
            o.ClientSecret = options.ClientSecret;
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.UsePkce = true;
            o.RequireHttpsMetadata = options.RequireHttpsMetadata;
            o.CallbackPath = "/signin-external";
            o.GetClaimsFromUserInfoEndpoint = false;
            o.MapInboundClaims = false;

            // Claims keep their OIDC names (sub, preferred_username, role); Identity finds the account by
            // NameIdentifier, so the provider's stable subject goes there.
            o.Events.OnTokenValidated = context =>
            {
                if (context.Principal?.Identity is ClaimsIdentity identity && identity.FindFirst("sub") is { } subject)
                {
                    identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, subject.Value));
                }

                return Task.CompletedTask;
            };
            o.Scope.Clear();
            foreach (var scope in options.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                o.Scope.Add(scope);
            }
        });
    }

    public static void MapExternalSignIn(this WebApplication app)
    {
        // Identity's own helper stamps the provider name into the challenge, which GetExternalLoginInfoAsync
        // needs on the way back.
        app.MapGet("/account/external-login", (string? returnUrl, IOptions<ExternalSignInOptions> options, SignInManager<IdentityUser> signIn) =>
            !options.Value.Enabled
                ? Results.NotFound()
                : Results.Challenge(
                    signIn.ConfigureExternalAuthenticationProperties(ExternalSignInOptions.Scheme, $"/account/external-callback?returnUrl={Uri.EscapeDataString(Local(returnUrl))}"),
                    [ExternalSignInOptions.Scheme])).AllowAnonymous();

        app.MapGet("/account/external-callback", CallbackAsync).AllowAnonymous();
    }

    private static async Task<RedirectHttpResult> CallbackAsync(
        string? returnUrl,
        HttpContext http,
        SignInManager<IdentityUser> signIn,
        UserManager<IdentityUser> users,
        IDbContextFactory<FleetDbContext> dbFactory,
        AuditLog audit,
        IOptions<ExternalSignInOptions> options,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ExternalSignIn));
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null)
        {
            return Failed("The sign-in with your organisation did not complete. Try again.");
        }

        var external = info.Principal;
        var name = UserNameOf(external) ?? info.ProviderKey;
        logger.LogInformation("External sign-in of {User} through {Provider}; claims offered: {Claims}",
            name, info.ProviderDisplayName, string.Join(", ", external.Claims.Select(c => c.Type).Distinct()));
        var user = await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey);
        var actor = Actor.FromUser(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], "external")), http.Connection.RemoteIpAddress?.ToString());
        if (user is null && await users.FindByNameAsync(name) is not null)
        {
            // Never link by name: an external account called "admin" must not become the local admin.
            logger.LogWarning("External sign-in of {User} refused: a local user with that name exists and is not linked to this provider", name);
            await audit.RecordAsync(actor, "user.external-link", "user", name, AuditOutcome.Denied, $"a local user '{name}' exists; external accounts are never linked by name");
            return Failed($"A Fleet user named '{name}' already exists and is not linked to your organisation's account. Ask an admin.");
        }

        if (user is null)
        {
            if (!options.Value.AutoCreateUsers)
            {
                logger.LogWarning("External sign-in of {User} refused: no local user and Fleet:ExternalSignIn:AutoCreateUsers is off", name);
                return Failed($"There is no Fleet user '{name}'. Ask an admin to create it.");
            }

            user = new IdentityUser { UserName = name, Email = external.FindFirstValue("email"), EmailConfirmed = external.FindFirstValue("email") is not null };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
            {
                logger.LogWarning("External sign-in of {User} refused: {Errors}", name, string.Join("; ", created.Errors.Select(e => e.Description)));
                return Failed($"Could not create the Fleet user '{name}': {string.Join(" ", created.Errors.Select(e => e.Description))}");
            }

            await AuditAsync(dbFactory, audit, actor, "user.create", name, null, $"{name}: created at first sign-in through {info.ProviderDisplayName}");
        }

        if (await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey) is null)
        {
            await users.AddLoginAsync(user, info);
        }

        await SyncRolesAsync(users, user, external, options.Value, dbFactory, audit, actor);

        var result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, info.ProviderKey, isPersistent: false, bypassTwoFactor: true);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        if (result.Succeeded)
        {
            logger.LogInformation("User {User} signed in through {Provider}", name, info.ProviderDisplayName);
            return TypedResults.LocalRedirect(Local(returnUrl));
        }

        logger.LogWarning("External sign-in of {User} refused: {Result}", name, result);
        return Failed(result.IsLockedOut ? "This account is disabled or locked. Ask an admin." : "This account may not sign in.");
    }

    /// <summary>With a role claim configured, the provider decides the role at every sign-in; otherwise only a new user gets the default role.</summary>
    private static async Task SyncRolesAsync(UserManager<IdentityUser> users, IdentityUser user, ClaimsPrincipal external, ExternalSignInOptions options,
        IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, Actor actor)
    {
        var current = await users.GetRolesAsync(user);
        string? wanted;
        if (options.RoleClaim is { Length: > 0 } claim)
        {
            var mapped = external.FindAll(claim).Select(c => options.RoleMapping.GetValueOrDefault(c.Value)).Where(r => r is not null).ToHashSet();
            wanted = Roles.All.FirstOrDefault(mapped.Contains) ?? (current.Count == 0 ? options.DefaultRole : null);
        }
        else
        {
            wanted = current.Count == 0 ? options.DefaultRole : current[0];
        }

        if (string.IsNullOrEmpty(wanted) || (current.Count == 1 && current[0] == wanted))
        {
            return;
        }

        await users.RemoveFromRolesAsync(user, current);
        await users.AddToRoleAsync(user, wanted);
        await AuditAsync(dbFactory, audit, actor, "user.roles", user.UserName!, string.Join(",", current), $"{user.UserName}: {wanted} (from the identity provider)");
    }

    private static async Task AuditAsync(IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, Actor actor, string action, string user, string? before, string after)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        audit.Add(db, actor with { Source = AuditSource.System }, action, "user", user, before, after);
        await db.SaveChangesAsync();
    }

    private static string? UserNameOf(ClaimsPrincipal principal)
    {
        var raw = principal.FindFirstValue("preferred_username") ?? principal.FindFirstValue("email") ?? principal.FindFirstValue("name");
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        // Identity's default user-name alphabet; anything else would fail CreateAsync with an unhelpful message.
        var cleaned = new string(raw.Trim().Where(c => char.IsAsciiLetterOrDigit(c) || "-._@+".Contains(c, StringComparison.Ordinal)).ToArray());
        return cleaned.Length is > 0 and <= 64 ? cleaned : null;
    }

    private static string Local(string? url) => Login.IsLocalPath(url) ? url! : "/";

    private static RedirectHttpResult Failed(string message) =>
        TypedResults.LocalRedirect($"/account/login?error={Uri.EscapeDataString(message)}");
}
