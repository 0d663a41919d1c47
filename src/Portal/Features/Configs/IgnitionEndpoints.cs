using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// <c>GET /ignition?mac=…|uuid=…|device=…[&amp;exp=…&amp;sig=…]</c>: the device-facing, anonymous
/// Matchbox-style config endpoint. Unknown MAC/UUID → 404 and a Pending device; an unapproved device (or
/// an unsigned request, by default) gets the config without secrets; <c>Accept: …;version=3.x.0</c> is honoured
/// or refused with 406.
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

    private static async Task<IResult> ServeAsync(HttpContext http, IgnitionCache cache, IgnitionUrlSigner signer, IConfigToolchain toolchain,
        IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, IOptions<ConfigOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Fleet.Portal.Features.Configs.Ignition");
        var query = http.Request.Query;
        var given = SelectorKinds.Where(k => !string.IsNullOrEmpty(query[k])).ToList();
        if (given.Count != 1)
        {
            return Text(StatusCodes.Status400BadRequest, "Name the device with exactly one of mac, uuid or device.");
        }

        var selector = Selector(given[0], query[given[0]].ToString(), out var error);
        if (selector is null)
        {
            return Text(StatusCodes.Status400BadRequest, error);
        }

        var signed = false;
        if (!string.IsNullOrEmpty(query["sig"]) || !string.IsNullOrEmpty(query["exp"]))
        {
            if (given[0] != "device" || !Guid.TryParse(query["device"], out var signedId) || !signer.Verify(signedId, query["exp"], query["sig"], out error))
            {
                logger.LogWarning("Refused /ignition for {Selector} from {Address}: {Reason}", selector, http.Connection.RemoteIpAddress, error.Length > 0 ? error : "signature on a non-device selector");
                return Text(StatusCodes.Status403Forbidden, error.Length > 0 ? error : "Signed URLs name the device with device=<id>.");
            }

            signed = true;
        }
        else if (options.Value.RequireSignedUrls)
        {
            return Text(StatusCodes.Status401Unauthorized, "This portal serves configs only over signed URLs (device=…&exp=…&sig=…).");
        }

        var cancellationToken = http.RequestAborted;
        var deviceId = await ResolveAsync(selector, cache, dbFactory, cancellationToken);
        if (deviceId is null)
        {
            if (given[0] != "device" && options.Value.RecordUnknownDevices)
            {
                await RecordPendingAsync(selector, http, dbFactory, audit, time, logger, cancellationToken);
            }

            return Text(StatusCodes.Status404NotFound, $"No device is known by {selector}; it is now listed as Pending in the portal for an Operator to approve.");
        }

        // Secrets go only to approved devices, and by default only over a URL the portal signed for that device.
        var approvedMode = signed || !options.Value.SecretsRequireSignedUrl ? SecretMode.Reveal : SecretMode.Omit;
        var served = await cache.GetAsync(deviceId.Value, approvedMode, cancellationToken);
        if (served is not null && served.Rendered.State != EnrollmentState.Approved && approvedMode == SecretMode.Reveal)
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
        if (toolchain.RequestedVersion(http.Request.Headers.Accept.ToString()) is { } wanted && wanted != served.Spec)
        {
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
            "uuid" => await db.Devices.AsNoTracking().Where(d => d.MachineId == value || d.ZincatiNodeUuid == value || d.EnrollmentId == PendingEnrollmentPrefix + selector)
                .Select(d => (Guid?)d.Id).FirstOrDefaultAsync(cancellationToken),
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

    /// <summary>An unknown machine asking for its config becomes a Pending device (as Zezere does), once per selector.</summary>
    private static async Task RecordPendingAsync(string selector, HttpContext http, IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var enrollmentId = PendingEnrollmentPrefix + selector;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var existing = await db.Devices.SingleOrDefaultAsync(d => d.EnrollmentId == enrollmentId, cancellationToken);
        if (existing is not null)
        {
            existing.LastRequestAt = now;
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var value = selector[(selector.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var isMac = selector.StartsWith("mac:", StringComparison.Ordinal);
        var device = new Device
        {
            Id = Guid.NewGuid(),
            EnrollmentId = enrollmentId,
            State = EnrollmentState.Pending,
            MachineId = isMac ? string.Empty : value,
            Hostname = isMac ? "ignition-" + value.Replace(":", string.Empty, StringComparison.Ordinal) : "ignition-" + value[..12],
            Architecture = string.Empty,
            Kernel = string.Empty,
            OsName = string.Empty,
            OsReleaseJson = "{}",
            PrimaryMac = isMac ? value : string.Empty,
            AgentVersion = string.Empty,
            LastAddress = http.Connection.RemoteIpAddress?.ToString(),
            FirstSeenAt = now,
            LastRequestAt = now,
        };
        if (isMac)
        {
            device.Macs.Add(new DeviceMac { Mac = value, InterfaceName = "pxe", IsPrimary = true });
        }

        db.Devices.Add(device);
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = device.Id, At = now, Kind = "enrolment", Message = $"Asked for its Ignition config by {selector}; pending approval" });
        audit.Add(db, Actor.FromDevice(enrollmentId, device.LastAddress), "device.enrol", "device", device.Id.ToString("N"), after: $"{device.Hostname} ({selector}): Pending", detail: "from GET /ignition");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Unknown device {Selector} asked for its Ignition config; recorded as pending device {DeviceId:N}", selector, device.Id);
        }
        catch (DbUpdateException ex)
        {
            logger.LogInformation(ex, "Pending record for {Selector} was created by a concurrent request", selector);
        }
    }

    private static IResult Text(int status, string message) => Results.Text(message + "\n", "text/plain", statusCode: status);
}
