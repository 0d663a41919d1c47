using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Configs;

internal static partial class ConfigRules
{
    [GeneratedRegex(@"^[A-Za-z0-9._\-]{1,64}$", RegexOptions.CultureInvariant)]
    public static partial Regex Name();
}

/// <summary>Tells open config pages, the render cache and the DesiredConfig pusher that configs, assignments, variables or keys changed.</summary>
public sealed class ConfigNotifier
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();
}
