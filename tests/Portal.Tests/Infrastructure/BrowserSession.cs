using System.Net;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// A cookie-keeping HttpClient that signs in through the real login form (a Blazor static SSR form with
/// an antiforgery token), as a browser without JavaScript would. Redirects are followed by hand so tests
/// can see where each one goes.
/// </summary>
public sealed partial class BrowserSession : IDisposable
{
    private BrowserSession(PortalInstance portal)
    {
#pragma warning disable CA2000 // the HttpClient owns and disposes the handler
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true }) { BaseAddress = portal.BaseAddress };
#pragma warning restore CA2000
    }

    public CookieContainer Cookies { get; } = new();

    public HttpClient Http { get; }

    public static BrowserSession Anonymous(PortalInstance portal) => new(portal);

    /// <summary>Signs in as the portal's admin (the only user a fresh portal has).</summary>
    public static async Task<BrowserSession> SignInAsync(PortalInstance portal)
    {
        var session = new BrowserSession(portal);
        var redirect = await session.SubmitLoginAsync(new Uri("/account/login", UriKind.Relative), "admin", PortalInstance.AdminPassword);
        if (redirect is null)
        {
            session.Dispose();
            throw new InvalidOperationException("Sign-in did not redirect: wrong password or form changed");
        }

        return session;
    }

    /// <summary>
    /// GETs the login page at <paramref name="loginUrl"/>, fills the form and posts it. Returns where the
    /// portal redirected to (the return URL on success), or null when it answered with the form again.
    /// </summary>
    public async Task<Uri?> SubmitLoginAsync(Uri loginUrl, string userName, string password)
    {
        var html = await Http.GetStringAsync(loginUrl);
        var form = Form().Match(html);
        if (!form.Success)
        {
            throw new InvalidOperationException("No form on the login page:\n" + html);
        }

        var fields = new Dictionary<string, string>();
        foreach (Match input in Input().Matches(form.Value))
        {
            var name = Attribute(input.Value, "name");
            if (name is null)
            {
                continue;
            }

            // The visible fields are found by id, so the test does not depend on how Blazor names them.
            fields[name] = Attribute(input.Value, "id") switch
            {
                "username" => userName,
                "password" => password,
                _ => Attribute(input.Value, "value") ?? string.Empty,
            };
        }

        var action = Attribute(form.Value[..form.Value.IndexOf('>', StringComparison.Ordinal)], "action");
        var target = string.IsNullOrEmpty(action) ? loginUrl : new Uri(action, UriKind.RelativeOrAbsolute);
        using var content = new FormUrlEncodedContent(fields);
        using var response = await Http.PostAsync(target, content);
        return response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther ? response.Headers.Location : null;
    }

    public void Dispose() => Http.Dispose();

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, "\\s" + name + "=\"([^\"]*)\"", RegexOptions.IgnoreCase);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    [GeneratedRegex("<form[^>]*method=\"post\"[\\s\\S]*?</form>", RegexOptions.IgnoreCase)]
    private static partial Regex Form();

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Input();
}
