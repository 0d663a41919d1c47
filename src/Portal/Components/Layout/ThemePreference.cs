namespace Fleet.Portal.Components.Layout;

/// <summary>
/// Light or dark, read from the request so the prerendered page already has the right theme: the scheme the
/// viewer chose with the app bar's toggle (cookie <see cref="ChoiceCookie"/>), else the OS scheme the browser
/// reported on an earlier page (cookie <see cref="SchemeCookie"/>, set by App.razor's head script).
/// </summary>
/// <param name="Dark">Whether to render dark.</param>
/// <param name="Chosen">Whether the viewer chose it; if not, the theme follows the OS as it changes.</param>
public sealed record ThemePreference(bool Dark, bool Chosen)
{
    public const string ChoiceCookie = "fleet-theme";
    public const string SchemeCookie = "fleet-scheme";

    public static ThemePreference From(IRequestCookieCollection cookies)
    {
        ArgumentNullException.ThrowIfNull(cookies);
        return cookies[ChoiceCookie] switch
        {
            "dark" => new(true, true),
            "light" => new(false, true),
            _ => new(cookies[SchemeCookie] == "dark", false),
        };
    }
}
