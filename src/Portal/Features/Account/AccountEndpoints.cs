using System.Security.Claims;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Account;

internal static class AccountEndpoints
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddIdentity<IdentityUser, IdentityRole>(o =>
            {
                // Length over composition rules (NIST SP 800-63B); lockout stops online guessing.
                o.Password.RequiredLength = 12;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.User.RequireUniqueEmail = false;
            })
            .AddEntityFrameworkStores<FleetDbContext>()
            .AddDefaultTokenProviders();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "fleet.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;

            // Secure on HTTPS answers, so a browser never sends the session over plain HTTP; a plain development
            // listener keeps working. The antiforgery cookie (never Secure by default) follows the same rule.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);

            // A script under /api that reaches the cookie (no bearer scheme on the endpoint, or no endpoint
            // at all), or a download endpoint marked DisableCookieRedirect, gets a status code, not an HTML
            // login page it cannot use.
            o.Events.OnRedirectToLogin = c => RedirectOrStatus(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c =>
            {
                // Refused only for the missing second factor: to the set-up, not to a page saying "not allowed".
                var accounts = c.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<AccountOptions>>();
                if (SecondFactorRequirement.Owes(c.HttpContext.User, accounts.CurrentValue)
                    && !c.Request.Path.StartsWithSegments("/api"))
                {
                    c.RedirectUri = AccountPage.SetUpAddress;
                }

                return RedirectOrStatus(c, StatusCodes.Status403Forbidden);
            };
        });

        builder.Services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        // Disabling a user or forcing a sign-out changes the security stamp; sessions notice at the next
        // check, so the check interval (default 30 minutes in Identity) is how long a removed user keeps access.
        builder.Services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AccountOptions>()
            .Validate(o => o.TwoFactorRequiredRoles.All(Roles.All.Contains),
                $"{AccountOptions.Section}:TwoFactorRequiredRoles may name only {string.Join(", ", Roles.All)}");
        builder.Services.AddOptions<SecurityStampValidatorOptions>()
            .Configure<IOptions<AccountOptions>>((o, accounts) =>
            {
                o.ValidationInterval = accounts.Value.SessionValidationInterval;

                // The periodic check rebuilds the principal and would drop how the user signed in ("pwd" or
                // "mfa"), which is what tells a session that still owes a second factor from one that gave it.
                o.OnRefreshingPrincipal = c =>
                {
                    if (c.NewPrincipal?.Identity is ClaimsIdentity identity && c.CurrentPrincipal is { } current)
                    {
                        identity.AddClaims(current.FindAll(SecondFactorRequirement.MethodClaim)
                            .Select(m => new Claim(m.Type, m.Value)));
                    }

                    return Task.CompletedTask;
                };
            });
        builder.Services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        builder.Services.AddSingleton<IPasswordGenerator, PasswordGenerator>();
        builder.Services.AddScoped<PasswordSignIn>();
        builder.Services.AddSingleton<OwnAccountService>();

        builder.Services.AddCascadingAuthenticationState();
        builder.AddExternalSignIn();
        return builder;
    }

    public static void MapAccountEndpoints(this WebApplication app)
    {
        app.MapExternalSignIn();

        // Minimal APIs reject a bad antiforgery token only when they bind a form; sign-out binds nothing, so
        // it checks the token itself, or any site could sign a user out with a cross-site POST.
        app.MapPost("/account/logout", LogoutAsync).ExcludeFromDescription();   // the browser's, not the API's
    }

    private static async Task<Results<RedirectHttpResult, OutcomeProblem>> LogoutAsync(
        HttpContext http, IAntiforgery antiforgery, SignInManager<IdentityUser> signIn)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Outcome.Invalid("", "Sign-out must come from the portal's own page "
                + "(antiforgery token missing or invalid).").ToProblem();
        }

        await signIn.SignOutAsync();
        return TypedResults.LocalRedirect("/account/login");
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            // API callers use bearer tokens; a login page address means nothing to them.
            context.Response.StatusCode = status;
        }
        else if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IDisableCookieRedirectMetadata>() is not null)
        {
            // A download: the status stops the browser saving a login page as the file, and the Location
            // still says where signing in happens (as .NET's own DisableCookieRedirect handling does).
            context.Response.StatusCode = status;
            context.Response.Headers.Location = context.RedirectUri;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
