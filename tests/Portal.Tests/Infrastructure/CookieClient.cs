using System.Net;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// An HttpClient signed in the way a browser is: GET the static login form, POST it back with its
/// antiforgery token, keep the cookie. Redirects are not followed so tests see 302s and 401s as sent.
/// </summary>
public static partial class CookieClient
{
    public static HttpClient Anonymous(Uri baseAddress) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = baseAddress };

    public static async Task<HttpClient> SignInAsync(Uri baseAddress, string userName, string password)
    {
        var client = Anonymous(baseAddress);
        using var response = await PostSignInFormAsync(client, userName, password);
        Assert.True(
            response.StatusCode == HttpStatusCode.Found,
            $"sign-in of {userName} answered {(int)response.StatusCode}, not a redirect: "
            + $"{await response.Content.ReadAsStringAsync()}");
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("fleet.auth=",
            StringComparison.Ordinal));
        return client;
    }

    /// <summary>GETs the sign-in form and posts it back with its antiforgery token; the caller disposes it.</summary>
    public static async Task<HttpResponseMessage> PostSignInFormAsync(
        HttpClient client, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(client);
        var form = await client.GetStringAsync(new Uri("/account/login", UriKind.Relative));
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "the login form has no antiforgery token");

        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        });
        return await client.PostAsync(new Uri("/account/login", UriKind.Relative), body);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"", RegexOptions.None, 1000)]
    private static partial Regex AntiforgeryField();
}
