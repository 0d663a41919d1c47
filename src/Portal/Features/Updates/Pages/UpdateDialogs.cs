using MudBlazor;

namespace Fleet.Portal.Features.Updates.Pages;

/// <summary>Dialog options shared by the update pages.</summary>
internal static class UpdateDialogs
{
    public static readonly DialogOptions Options = new() { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };

    public static readonly DialogOptions Wide = new() { MaxWidth = MaxWidth.Medium, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };

    public static string Percent(double share) => share.ToString("P0", System.Globalization.CultureInfo.InvariantCulture);
}
