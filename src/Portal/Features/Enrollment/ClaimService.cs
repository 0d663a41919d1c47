using System.Text.Json;
using System.Threading.RateLimiting;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Claiming: a person types the code a pending device shows and so approves it. Attempts are rate-limited
/// per user and for the whole portal (the UI and the API share these limiters), and every failure is audited.
/// </summary>
public sealed class ClaimService : IDisposable
{
    private readonly IDbContextFactory<FleetDbContext> _dbFactory;
    private readonly ActorAuthorizer _authorizer;
    private readonly AuditLog _audit;
    private readonly IDevicePublisher _publisher;
    private readonly DeviceNotifier _notifier;
    private readonly DeviceCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<ClaimService> _logger;
    private readonly PartitionedRateLimiter<string> _perUser;
    private readonly RateLimiter _global;

    public ClaimService(
        IDbContextFactory<FleetDbContext> dbFactory,
        ActorAuthorizer authorizer,
        AuditLog audit,
        IDevicePublisher publisher,
        DeviceNotifier notifier,
        DeviceCredentials credentials,
        TimeProvider time,
        IOptions<EnrollmentOptions> options,
        ILogger<ClaimService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dbFactory = dbFactory;
        _authorizer = authorizer;
        _audit = audit;
        _publisher = publisher;
        _notifier = notifier;
        _credentials = credentials;
        _time = time;
        _logger = logger;
        var perUser = options.Value.ClaimAttemptsPerUserPerMinute;
        _perUser = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perUser,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
        _global = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.ClaimAttemptsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<ClaimedDevice>> ClaimAsync(
        string code, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await _authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.claim", "device", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not claim devices.");
        }

        using var userLease = _perUser.AttemptAcquire(actor.Name);
        using var globalLease = userLease.IsAcquired ? _global.AttemptAcquire() : null;
        if (!userLease.IsAcquired || globalLease?.IsAcquired != true)
        {
            await _audit.RecordAsync(actor, "device.claim", "device", null, AuditOutcome.Failed, userLease.IsAcquired ? "rate limited (portal-wide)" : "rate limited (per user)", cancellationToken);
            _logger.LogWarning("Claim attempt by {Actor} from {Address} refused: rate limited", actor.Name, actor.RemoteAddress);
            return Outcome.TooManyRequests("too many attempts; wait a minute");
        }

        var normalized = EnrollmentSecrets.NormalizeClaimCode(code);
        if (normalized is null)
        {
            return await FailAsync(actor, "not a claim code (10 characters: letters and digits 2-9, e.g. ABCD-EFGH-JK)", cancellationToken);
        }

        var hash = EnrollmentSecrets.Hash(normalized);
        var now = _time.GetUtcNow();
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        var claim = await db.ClaimCodes.SingleOrDefaultAsync(c => c.CodeHash == hash, cancellationToken);
        if (claim is null || claim.UsedAt is not null || claim.ExpiresAt <= now)
        {
            var why = claim is null ? "unknown code" : claim.UsedAt is not null ? "code already used" : "code expired";
            return await FailAsync(actor, why, cancellationToken);
        }

        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == claim.DeviceId, cancellationToken);
        if (device is not { State: EnrollmentState.Pending })
        {
            return await FailAsync(actor, "the device is no longer pending", cancellationToken);
        }

        var before = DeviceService.Summary(device);
        claim.UsedAt = now;
        claim.UsedBy = actor.Name;
        device.State = EnrollmentState.Approved;
        device.DecidedAt = now;
        device.DecidedBy = actor.Name;
        device.ApprovedBy = "claim";
        var response = _credentials.Issue(device, enrollmentKey: null, now);
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = device.Id, At = now, Kind = "decision", Message = $"Claimed (approved) by {actor.Name} with its claim code" });
        _audit.Add(db, actor, "device.claim", "device", device.Id.ToString("N"), before, DeviceService.Summary(device) + ", credential issued");
        await db.SaveChangesAsync(cancellationToken);
        _logger.LogInformation("Device {DeviceId:N} ({Hostname}) claimed by {Actor}", device.Id, device.Hostname, actor.Name);

        await _publisher.PublishAsync(Topics.EnrollmentResponse(device.EnrollmentId),
            JsonSerializer.SerializeToUtf8Bytes(response, FleetJson.Default.EnrollmentResponse), cancellationToken);
        _notifier.Notify([device.Id]);
        return Outcome.Of(new ClaimedDevice(device.Id, device.Hostname));
    }

    public void Dispose()
    {
        _perUser.Dispose();
        _global.Dispose();
    }

    private async Task<Outcome<ClaimedDevice>> FailAsync(Actor actor, string why, CancellationToken cancellationToken)
    {
        await _audit.RecordAsync(actor, "device.claim", "device", null, AuditOutcome.Failed, why, cancellationToken);
        _logger.LogWarning("Claim attempt by {Actor} from {Address} failed: {Reason}", actor.Name, actor.RemoteAddress, why);

        // One message for every wrong code: which of unknown, used or expired it was is not the caller's to learn.
        return Outcome.Invalid(
            "code",
            why.StartsWith("not a", StringComparison.Ordinal)
                ? why
                : "this code is not valid (wrong, used or expired)");
    }
}
