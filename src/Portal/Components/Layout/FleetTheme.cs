using MudBlazor;

namespace Fleet.Portal.Components.Layout;

/// <summary>
/// The portal's palettes. MudBlazor's default status colours put white text on light green, orange and red
/// (2:1 to 3.7:1); these reach WCAG AA's 4.5:1 for text on the colour and for the colour as text on the
/// background: darker colours under white text in light mode, lighter ones under near-black text in dark mode.
/// </summary>
internal static class FleetTheme
{
    private const string DarkText = "rgba(0,0,0,0.87)";

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#2c5d8f",
            AppbarBackground = "#2c5d8f",
            Secondary = "#ad1457",
            Tertiary = "#00695c",
            Info = "#01579b",
            Success = "#2e7d32",
            Warning = "#a84b00",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.66)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7fb0e0",
            PrimaryContrastText = DarkText,
            Secondary = "#f48fb1",
            SecondaryContrastText = DarkText,
            Tertiary = "#80cbc4",
            TertiaryContrastText = DarkText,
            Info = "#90caf9",
            InfoContrastText = DarkText,
            Success = "#81c784",
            SuccessContrastText = DarkText,
            Warning = "#ffb74d",
            WarningContrastText = DarkText,
            Error = "#ef9a9a",
            ErrorContrastText = DarkText,
            TextSecondary = "rgba(255,255,255,0.72)",
        },
    };
}
