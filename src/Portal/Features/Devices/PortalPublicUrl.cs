using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// The base URL devices use for the portal's HTTP endpoints; always ends with <c>/</c>. Unset, the first https
/// address Kestrel listens on, else its first address.
/// </summary>
public sealed partial class PortalPublicUrl(IOptions<Updates.UpdateOptions> options, IServer server)
{
    private static readonly string[] WildcardHosts = ["0.0.0.0", "[::]", "*", "+"];

    public Uri Get()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl))
        {
            return WithSlash(options.Value.PublicBaseUrl);
        }

        // An https address when Kestrel has one (devices and browsers should not fall back to plain HTTP). Devices
        // never reach a wildcard address; the host name is the best guess without configuration.
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            ?? addresses.FirstOrDefault() ?? "http://localhost:5000";
        var match = Address().Match(address);
        if (!match.Success)
        {
            return WithSlash(address);
        }

        var host = match.Groups["host"].Value;
        if (WildcardHosts.Contains(host, StringComparer.Ordinal))
        {
            host = Environment.MachineName.ToLowerInvariant();
        }

        return WithSlash($"{match.Groups["scheme"].Value}://{host}{match.Groups["port"].Value}{match.Groups["path"].Value}");
    }

    private static Uri WithSlash(string url) => new(url.EndsWith('/') ? url : url + "/", UriKind.Absolute);

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[^\]]*\]|[^:/]+)(?<port>:\d+)?(?<path>/.*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Address();
}
