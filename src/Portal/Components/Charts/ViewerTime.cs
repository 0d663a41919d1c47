using Fleet.Portal.Features.Account;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace Fleet.Portal.Components.Charts;

/// <summary>The browser's time zone as it reports it (an IANA id and its current offset).</summary>
public sealed record BrowserZone(string? Id, int OffsetMinutes);

/// <summary>
/// The viewer's time zone: the one they chose on their account page (an Identity user claim), else the browser's
/// (<c>fleetViewer.zone</c> in <c>wwwroot/js/fleet.js</c>), so times read as the clock on the viewer's wall. Read
/// once per circuit. JavaScript runs only after the first render: a component asks in <c>OnAfterRenderAsync</c> and
/// draws its times once it has the answer.
/// </summary>
public sealed class ViewerTime(
    IJSRuntime js,
    AuthenticationStateProvider authentication,
    OwnAccountService accounts,
    ILogger<ViewerTime> logger)
{
    private Task<TimeZoneInfo>? _zone;

    /// <summary>The zone once read; null before.</summary>
    public TimeZoneInfo? Zone { get; private set; }

    /// <summary>Reads the zone on the first call of a circuit; later calls share that answer.</summary>
    public Task<TimeZoneInfo> ZoneAsync() => _zone ??= ReadAsync();

    /// <summary>After the user chose another zone: the next <see cref="ZoneAsync"/> reads it again.</summary>
    public void Forget()
    {
        _zone = null;
        Zone = null;
    }

    private async Task<TimeZoneInfo> ReadAsync()
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (user.Identity?.IsAuthenticated == true && await accounts.TimeZoneOfAsync(user) is { } chosen)
        {
            Zone = chosen;
            return chosen;
        }

        BrowserZone? browser = null;
        try
        {
            browser = await js.InvokeAsync<BrowserZone>("fleetViewer.zone");
        }
        catch (JSException ex)
        {
            logger.LogInformation(ex, "The browser did not tell its time zone; times are shown in UTC");
        }

        Zone = Resolve(browser);
        return Zone;
    }

    /// <summary>The zone of that id where this machine knows it, else a fixed offset, else UTC.</summary>
    public static TimeZoneInfo Resolve(BrowserZone? browser)
    {
        if (browser?.Id is { Length: > 0 } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
        {
            return zone;
        }

        if (browser is null || browser.OffsetMinutes == 0 || Math.Abs(browser.OffsetMinutes) > 14 * 60)
        {
            return TimeZoneInfo.Utc;
        }

        var offset = TimeSpan.FromMinutes(browser.OffsetMinutes);
        var name = $"UTC{(offset < TimeSpan.Zero ? '-' : '+')}{offset:hh\\:mm}";
        return TimeZoneInfo.CreateCustomTimeZone(name, offset, name, name);
    }
}
