using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Portal.Features.Certificates;

/// <summary>
/// The portal CA in an Ignition config: <c>ignition.security.tls.certificateAuthorities</c> (spec 3.0 and later)
/// holds the chain as a <c>data:</c> URL, so every HTTPS fetch that config makes from the portal (its merge and
/// replace configs, the agent build) verifies the portal's certificate. The content is inline, so no verification
/// hash is needed.
/// </summary>
public static class IgnitionTrust
{
    /// <summary>The origin a rendered config names for the entry.</summary>
    public const string Origin = "built-in: portal CA";

    /// <summary><paramref name="pem"/> as an Ignition resource source.</summary>
    public static string DataUrl(string pem) => "data:;base64," + Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));

    /// <summary>
    /// Adds the chain to <paramref name="config"/>'s certificate authorities unless it is there already; returns the
    /// entry's origin key.
    /// </summary>
    public static string Add(JsonObject config, string pem)
    {
        ArgumentNullException.ThrowIfNull(config);
        var source = DataUrl(pem);
        var ignition = config["ignition"] as JsonObject ?? [];
        config["ignition"] = ignition;
        var security = ignition["security"] as JsonObject ?? [];
        ignition["security"] = security;
        var tls = security["tls"] as JsonObject ?? [];
        security["tls"] = tls;
        var authorities = tls["certificateAuthorities"] as JsonArray ?? [];
        tls["certificateAuthorities"] = authorities;
        if (!authorities.OfType<JsonObject>().Any(a => a["source"]?.GetValue<string>() == source))
        {
            authorities.Add(new JsonObject { ["source"] = source });
        }

        return $"ignition.security.tls.certificateAuthorities[{source}]";
    }
}
