using System.Net;
using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// A request to <c>/ignition</c> as it came: the selectors (<c>mac</c>, <c>uuid</c>, <c>device</c>), the signature
/// (<c>exp</c>, <c>sig</c>, <c>secrets</c>), the caller's address and its <c>Accept</c> header.
/// </summary>
public sealed record IgnitionRequest(
    string? Mac,
    string? Uuid,
    string? Device,
    string? Expires,
    string? Signature,
    string? Secrets,
    IPAddress? Address,
    string Accept);

/// <summary>
/// Decides what <c>/ignition</c> answers: the rate limit for unsigned requests, the selector, the signature, which
/// device it names (recording an unknown machine as a Pending device, as Zezere does), whether secrets are rendered,
/// and the Ignition spec version the caller accepts. The endpoint only parses the request and maps the outcome.
/// </summary>
public sealed class IgnitionService(
    IgnitionCache cache,
    IgnitionUrlSigner signer,
    IConfigToolchain toolchain,
    IDbContextFactory<FleetDbContext> dbFactory,
    AnonymousRequestLimiter limiter,
    PendingPlaceholders placeholders,
    IOptions<ConfigOptions> options,
    ILogger<IgnitionService> logger)
{
    /// <summary>The config for the device the request names, as the bytes of the Ignition spec it accepts.</summary>
    public async Task<Outcome<byte[]>> ServeAsync(IgnitionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var given = new[] { ("mac", request.Mac), ("uuid", request.Uuid), ("device", request.Device) }
            .Where(k => !string.IsNullOrEmpty(k.Item2)).ToList();
        var signedRequest = !string.IsNullOrEmpty(request.Signature) || !string.IsNullOrEmpty(request.Expires);
        SecretMode? granted = null;
        var error = string.Empty;
        if (signedRequest && given is [("device", var device)] && Guid.TryParse(device, out var signedId)
            && signer.Verify(signedId, request.Expires, request.Secrets, request.Signature, out var mode, out error))
        {
            granted = mode;
        }
        else if (!limiter.TryTake(request.Address))
        {
            return Outcome.TooManyRequests(
                $"Too many requests from {request.Address} without a signed URL; "
                + $"retry after {limiter.RetryAfterSeconds} s.",
                TimeSpan.FromSeconds(limiter.RetryAfterSeconds));
        }

        if (given.Count != 1)
        {
            return Outcome.Invalid("", "Name the device with exactly one of mac, uuid or device.");
        }

        var (kind, value) = given[0];
        var selector = Selector(kind, value!, out var selectorError);
        if (selector is null)
        {
            return Outcome.Invalid(kind, selectorError);
        }

        if (signedRequest && granted is null)
        {
            var reason = error.Length > 0 ? error : "Signed URLs name the device with device=<id>.";
            logger.LogWarning(
                "Refused /ignition for {Selector} from {Address}: {Reason}", selector, request.Address, reason);
            return Outcome.Forbidden(reason);
        }

        if (granted is null && options.Value.RequireSignedUrls)
        {
            return Outcome.Forbidden("This portal serves configs only over signed URLs (device=…&exp=…&sig=…).");
        }

        var deviceId = await ResolveAsync(selector, cancellationToken);
        if (deviceId is null)
        {
            var unknown = await UnknownAsync(selector, kind, request.Address, cancellationToken);
            if (unknown.Device is not { } recorded)
            {
                return unknown.Outcome;
            }

            deviceId = recorded;
        }

        return await RenderAsync(deviceId.Value, selector, granted, request.Accept, cancellationToken);
    }

    private async Task<Outcome<byte[]>> RenderAsync(
        Guid deviceId, string selector, SecretMode? granted, string accept, CancellationToken cancellationToken)
    {
        // Secrets go only to approved devices, and by default only over a URL the portal signed for secrets. A device
        // not yet approved gets from a signed secrets URL only its agent's enrolment token (ConfigRenderer).
        var secrets = granted ?? (options.Value.SecretsRequireSignedUrl ? SecretMode.Omit : SecretMode.Reveal);
        var served = await cache.GetAsync(deviceId, secrets, cancellationToken);
        if (served is not null && served.Rendered.State != EnrollmentState.Approved && secrets == SecretMode.Reveal
            && granted != SecretMode.Reveal)
        {
            served = await cache.GetAsync(deviceId, SecretMode.Omit, cancellationToken);
        }

        if (served is null || !Matches(served.Rendered, selector))
        {
            return Outcome.NotFound($"No device is known by {selector}.");
        }

        cache.RememberSelector(selector, deviceId);
        if (served.Rendered.State == EnrollmentState.Rejected)
        {
            return Outcome.Forbidden($"Device {served.Rendered.Hostname} was rejected in the portal.");
        }

        if (!served.Rendered.Succeeded)
        {
            logger.LogWarning(
                "Config for device {DeviceId:N} cannot be rendered: {Error}", deviceId, served.Rendered.Error);
            return Outcome.Unprocessable(served.Rendered.Error ?? "The config cannot be rendered.");
        }

        if (served.Spec is not { } native)
        {
            return Outcome.Of(served.Json!);
        }

        var (wanted, refusal) = toolchain.NegotiateVersion(accept, native);
        if (wanted is null)
        {
            return Outcome.NotAcceptable("Cannot serve what Accept asks: " + refusal);
        }

        var (converted, reason) = cache.As(served, wanted);
        return converted is null
            ? Outcome.NotAcceptable($"Cannot serve spec {wanted.ToString(3)}: {reason}")
            : Outcome.Of(converted);
    }

    private static string? Selector(string kind, string value, out string error)
    {
        error = string.Empty;
        switch (kind)
        {
            case "mac" when MacAddress.TryNormalize(value, out var mac):
                return $"mac:{mac}";
            case "mac":
                error = $"mac '{value}' is not a MAC address "
                    + "(52:54:00:ab:cd:ef, 52-54-00-AB-CD-EF, 5254.00ab.cdef or 525400abcdef).";
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

    private async Task<Guid?> ResolveAsync(string selector, CancellationToken cancellationToken)
    {
        if (cache.TryGetSelector(selector, out var known))
        {
            return known;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var value = selector[(selector.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return selector[..selector.IndexOf(':', StringComparison.Ordinal)] switch
        {
            "mac" => await db.DeviceMacs.AsNoTracking()
                .Where(m => m.Mac == value)
                .OrderByDescending(m => m.IsPrimary)
                .Select(m => (Guid?)m.DeviceId)
                .FirstOrDefaultAsync(cancellationToken),
            "uuid" => await db.Devices.AsNoTracking()
                .Where(d => d.MachineId == value
                    || d.NodeUuid == value
                    || d.EnrollmentId == IgnitionEndpoints.PendingEnrollmentPrefix + selector)
                .Select(d => (Guid?)d.Id)
                .FirstOrDefaultAsync(cancellationToken),
            _ => Guid.ParseExact(value, "N") is var id
                && await db.Devices.AsNoTracking().AnyAsync(d => d.Id == id, cancellationToken) ? id : null,
        };
    }

    /// <summary>Whether a cached selector still names this device (a MAC may have moved since it was remembered).
    /// </summary>
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

    /// <summary>
    /// No device is known by the selector: a MAC or UUID is recorded as a Pending device, up to a cap. A pre-registered
    /// MAC's device is rendered at once (the answer then names it); any other machine is answered 404.
    /// </summary>
    private async Task<(Outcome Outcome, Guid? Device)> UnknownAsync(
        string selector, string kind, IPAddress? address, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (kind == "device" || !settings.RecordUnknownDevices)
        {
            return (Outcome.NotFound($"No device is known by {selector}."), null);
        }

        var recorded = await placeholders.RecordAsync(selector, address, cancellationToken);
        if (recorded is { PreRegistered: true, DeviceId: { } preRegistered })
        {
            return (Outcome.Done, preRegistered);
        }

        return (recorded.Outcome == PlaceholderOutcome.CapReached
            ? Outcome.NotFound($"No device is known by {selector}, and it was not recorded: "
                + $"{settings.MaxPendingPlaceholders} Pending devices from /ignition await an Operator's decision.")
            : Outcome.NotFound($"No device is known by {selector}; it is now listed as Pending in the portal "
                + "for an Operator to approve."), null);
    }
}
