using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// <c>GET /ignition?mac=…|uuid=…|device=…[&amp;secrets=omit][&amp;exp=…&amp;sig=…]</c>: the device-facing,
/// anonymous Matchbox-style config endpoint. Requests without a valid signature are rate limited per address (429).
/// Unknown MAC/UUID → 404 and (up to a cap) a Pending device. Secrets are rendered only for an approved device over a
/// signed URL that the portal issued for secrets (never the <c>secrets=omit</c> URLs of <c>/boot.ipxe</c>).
/// <c>Accept: …;version=3.x.0</c> is honoured or refused with 406.
/// </summary>
internal static class IgnitionEndpoints
{
    /// <summary>Enrolment id prefix of a Pending record made for an unknown machine that asked for its config; enrolment adopts it.</summary>
    public const string PendingEnrollmentPrefix = "ignition-";

    public const string ContentType = "application/vnd.coreos.ignition+json";

    private static readonly string[] SelectorKinds = ["mac", "uuid", "device"];

    public static IEndpointRouteBuilder MapIgnitionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ignition", ServeAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ServeAsync(HttpContext http, IgnitionCache cache, IgnitionUrlSigner signer,
        IConfigToolchain toolchain, IDbContextFactory<FleetDbContext> dbFactory, AnonymousRequestLimiter limiter,
        PendingPlaceholders placeholders, IOptions<ConfigOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Fleet.Portal.Features.Configs.Ignition");
        var query = http.Request.Query;
        var address = http.Connection.RemoteIpAddress;
        var given = SelectorKinds.Where(k => !string.IsNullOrEmpty(query[k])).ToList();
        var signedRequest = !string.IsNullOrEmpty(query["sig"]) || !string.IsNullOrEmpty(query["exp"]);
        SecretMode? granted = null;
        var error = string.Empty;
        if (signedRequest && given is ["device"] && Guid.TryParse(query["device"], out var signedId)
            && signer.Verify(signedId, query["exp"], query["secrets"], query["sig"], out var mode, out error))
        {
            granted = mode;
        }
        else if (!limiter.TryTake(address))
        {
            http.Response.Headers.RetryAfter = limiter.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Text(StatusCodes.Status429TooManyRequests,
                $"Too many requests from {address} without a signed URL; retry after {limiter.RetryAfterSeconds} s.");
        }

        if (given.Count != 1)
        {
            return Text(StatusCodes.Status400BadRequest, "Name the device with exactly one of mac, uuid or device.");
        }

        var selector = Selector(given[0], query[given[0]].ToString(), out var selectorError);
        if (selector is null)
        {
            return Text(StatusCodes.Status400BadRequest, selectorError);
        }

        if (signedRequest && granted is null)
        {
            var reason = error.Length > 0 ? error : "Signed URLs name the device with device=<id>.";
            logger.LogWarning("Refused /ignition for {Selector} from {Address}: {Reason}", selector, address, reason);
            return Text(StatusCodes.Status403Forbidden, reason);
        }

        if (granted is null && options.Value.RequireSignedUrls)
        {
            return Text(StatusCodes.Status401Unauthorized, "This portal serves configs only over signed URLs (device=…&exp=…&sig=…).");
        }

        var cancellationToken = http.RequestAborted;
        var deviceId = await ResolveAsync(selector, cache, dbFactory, cancellationToken);
        if (deviceId is null)
        {
            return await UnknownAsync(selector, given[0], address, placeholders, options.Value, cancellationToken);
        }

        // Secrets go only to approved devices, and by default only over a URL the portal signed for secrets.
        var secrets = granted ?? (options.Value.SecretsRequireSignedUrl ? SecretMode.Omit : SecretMode.Reveal);
        var served = await cache.GetAsync(deviceId.Value, secrets, cancellationToken);
        if (served is not null && served.Rendered.State != EnrollmentState.Approved && secrets == SecretMode.Reveal)
        {
            served = await cache.GetAsync(deviceId.Value, SecretMode.Omit, cancellationToken);
        }

        if (served is null || !Matches(served.Rendered, selector))
        {
            return Text(StatusCodes.Status404NotFound, $"No device is known by {selector}.");
        }

        cache.RememberSelector(selector, deviceId.Value);
        if (served.Rendered.State == EnrollmentState.Rejected)
        {
            return Text(StatusCodes.Status403Forbidden, $"Device {served.Rendered.Hostname} was rejected in the portal.");
        }

        if (!served.Rendered.Succeeded)
        {
            logger.LogWarning("Config for device {DeviceId:N} cannot be rendered: {Error}", deviceId, served.Rendered.Error);
            return Text(StatusCodes.Status422UnprocessableEntity, served.Rendered.Error ?? "The config cannot be rendered.");
        }

        var body = served.Json!;
        if (served.Spec is { } native)
        {
            var (wanted, refusal) = toolchain.NegotiateVersion(http.Request.Headers.Accept.ToString(), native);
            if (wanted is null)
            {
                return Text(StatusCodes.Status406NotAcceptable, "Cannot serve what Accept asks: " + refusal);
            }

            var (converted, reason) = cache.As(served, wanted);
            if (converted is null)
            {
                return Text(StatusCodes.Status406NotAcceptable, $"Cannot serve spec {wanted.ToString(3)}: {reason}");
            }

            body = converted;
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.Bytes(body, ContentType);
    }

    private static string? Selector(string kind, string value, out string error)
    {
        error = string.Empty;
        switch (kind)
        {
            case "mac" when MacAddress.TryNormalize(value, out var mac):
                return $"mac:{mac}";
            case "mac":
                error = $"mac '{value}' is not a MAC address (52:54:00:ab:cd:ef, 52-54-00-AB-CD-EF, 5254.00ab.cdef or 525400abcdef).";
                return null;
            case "uuid" when Guid.TryParse(value, out var uuid):
                return $"uuid:{uuid:N}";
            case "uuid":
                error = $"uuid '{value}' is not a UUID.";
                return null;
            case "device" when Guid.TryParse(value, out var id):
                return $"device:{id:N}";
            default:
                error = $"device '{value}' is not a device id.";
                return null;
        }
    }

    private static async Task<Guid?> ResolveAsync(string selector, IgnitionCache cache, IDbContextFactory<FleetDbContext> dbFactory, CancellationToken cancellationToken)
    {
        if (cache.TryGetSelector(selector, out var known))
        {
            return known;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var value = selector[(selector.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return selector[..selector.IndexOf(':', StringComparison.Ordinal)] switch
        {
            "mac" => await db.DeviceMacs.AsNoTracking().Where(m => m.Mac == value).OrderByDescending(m => m.IsPrimary).Select(m => (Guid?)m.DeviceId).FirstOrDefaultAsync(cancellationToken),
            "uuid" => await db.Devices.AsNoTracking()
                .Where(d => d.MachineId == value
                    || d.NodeUuid == value
                    || d.EnrollmentId == PendingEnrollmentPrefix + selector)
                .Select(d => (Guid?)d.Id)
                .FirstOrDefaultAsync(cancellationToken),
            _ => Guid.ParseExact(value, "N") is var id && await db.Devices.AsNoTracking().AnyAsync(d => d.Id == id, cancellationToken) ? id : null,
        };
    }

    /// <summary>Whether a cached selector still names this device (a MAC may have moved since it was remembered).</summary>
    private static bool Matches(RenderedConfig device, string selector)
    {
        var value = selector[(selector.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return selector[..selector.IndexOf(':', StringComparison.Ordinal)] switch
        {
            "mac" => device.Macs.Contains(value),
            "uuid" => true,
            _ => device.DeviceId.ToString("N") == value,
        };
    }

    private static async Task<IResult> UnknownAsync(string selector, string kind, System.Net.IPAddress? address,
        PendingPlaceholders placeholders, ConfigOptions options, CancellationToken cancellationToken)
    {
        if (kind == "device" || !options.RecordUnknownDevices)
        {
            return Text(StatusCodes.Status404NotFound, $"No device is known by {selector}.");
        }

        return await placeholders.RecordAsync(selector, address, cancellationToken) == PlaceholderOutcome.CapReached
            ? Text(StatusCodes.Status404NotFound, $"No device is known by {selector}, and it was not recorded: "
                + $"{options.MaxPendingPlaceholders} Pending devices from /ignition await an Operator's decision.")
            : Text(StatusCodes.Status404NotFound,
                $"No device is known by {selector}; it is now listed as Pending in the portal "
                + "for an Operator to approve.");
    }

    private static IResult Text(int status, string message) => Results.Text(message + "\n", "text/plain", statusCode: status);
}
