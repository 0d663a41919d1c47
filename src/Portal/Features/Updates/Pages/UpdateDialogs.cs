using MudBlazor;

namespace Fleet.Portal.Features.Updates.Pages;

/// <summary>Dialog options shared by the update pages.</summary>
internal static class UpdateDialogs
{
    public static readonly DialogOptions Options = new() { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };

    public static readonly DialogOptions Wide = new() { MaxWidth = MaxWidth.Medium, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };

    public static string Percent(double share) => share.ToString("P0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Who a release is offered to now, as /updates and the rollout view both say it: nobody when halted,
    /// everyone when it has no rollout, else the rollout's share.</summary>
    public static string Offered(bool hasRollout, bool isHalted, double share) =>
        isHalted ? "nobody (halted)" : hasRollout ? Percent(share) : "everyone (no rollout)";
}
