using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Features.ApiClients;
using Fleet.Portal.Features.Identity;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// Bearer tokens for API tests, obtained the way a script would: an Admin creates a client through
/// <see cref="ApiClientService"/>, and the client asks <c>/connect/token</c> (client credentials).
/// </summary>
public static class ApiTokens
{
    /// <summary>A token acting as <paramref name="role"/> (Admin, Operator or HelpDesk), from a fresh client with that role's scope.</summary>
    public static async Task<string> GetTokenAsync(PortalInstance portal, string role)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var scope = FleetScopes.RoleOf.SingleOrDefault(p => p.Value == role).Key
            ?? throw new ArgumentException($"No scope grants role '{role}'", nameof(role));
        var client = await CreateClientAsync(portal, scope);
        return await RequestTokenAsync(portal, client.ClientId, client.ClientSecret, scope);
    }

    public static async Task<NewApiClient> CreateClientAsync(PortalInstance portal, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var result = await portal.Services.GetRequiredService<ApiClientService>()
            .CreateAsync($"test client {string.Join(' ', scopes)}", scopes, TestActors.Admin);
        return result.Value ?? throw new InvalidOperationException($"Creating the client failed: {result.Message}");
    }

    /// <summary>The raw token endpoint answer, for tests of refusals.</summary>
    public static async Task<HttpResponseMessage> PostTokenRequestAsync(PortalInstance portal, IDictionary<string, string> form)
    {
        ArgumentNullException.ThrowIfNull(portal);
        using var http = Http(portal);
        using var content = new FormUrlEncodedContent(form);
        return await http.PostAsync(new Uri("/connect/token", UriKind.Relative), content);
    }

    public static async Task<string> RequestTokenAsync(PortalInstance portal, string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        using var response = await PostTokenRequestAsync(portal, form);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Token request failed: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>An HttpClient on the portal, with the token as bearer when given. Redirects are not followed, so a 302 to the login page shows.</summary>
    public static HttpClient Http(PortalInstance portal, string? token = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
#pragma warning disable CA2000 // the HttpClient owns and disposes the handler
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };
#pragma warning restore CA2000
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>GET <paramref name="path"/> with <paramref name="token"/>; the caller disposes the response.</summary>
    public static async Task<HttpResponseMessage> GetAsync(PortalInstance portal, string path, string? token)
    {
        using var http = Http(portal, token);
        return await http.GetAsync(new Uri(path, UriKind.Relative));
    }

    public static async Task<MeResponse> MeAsync(PortalInstance portal, string token)
    {
        using var response = await GetAsync(portal, "/api/v1/me", token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<MeResponse>())!;
    }
}
