using System.Net;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

public enum PlaceholderOutcome
{
    /// <summary>A new Pending device now stands for the machine.</summary>
    Recorded,

    /// <summary>The machine was recorded before; its last request time moved on.</summary>
    AlreadyRecorded,

    /// <summary><see cref="ConfigOptions.MaxPendingPlaceholders"/> placeholders await a decision; nothing recorded.
    /// </summary>
    CapReached,
}

/// <summary>What <see cref="PendingPlaceholders.RecordAsync"/> did, and the device that stands for the machine (none
/// at the cap). <paramref name="PreRegistered"/>: the MAC was pre-registered, so the device is in the
/// pre-registration's group with its hostname and its config is served at once.</summary>
public sealed record PlaceholderResult(PlaceholderOutcome Outcome, Guid? DeviceId, bool PreRegistered);

/// <summary>
/// Records an unknown machine that asked <c>/ignition</c> by MAC or UUID as a Pending device (as Zezere does),
/// once per selector and at most <see cref="ConfigOptions.MaxPendingPlaceholders"/> awaiting a decision at once.
/// A pre-registered MAC (<see cref="Enrollment.PreRegistration"/> not yet matched) makes its Pending device in the
/// pre-registration's group with its hostname, whatever the cap: its config (the group's layers, the agent) is served
/// at first boot, and the agent that enrols with that MAC later adopts the same device.
/// Anonymous callers must not be able to flood the audit log, which nobody can delete: the first placeholder of a
/// burst from an address is audited, later ones of the same burst only get their device event (deleted with the
/// device); a burst ends after <see cref="AuditBurstGap"/> without one. Refusals at the cap likewise, one a burst.
/// </summary>
public sealed class PendingPlaceholders(
    IDbContextFactory<FleetDbContext> dbFactory,
    AuditLog audit,
    IOptions<ConfigOptions> options,
    TimeProvider time,
    ILogger<PendingPlaceholders> logger) : IDisposable
{
    /// <summary>Quiet time after which the next placeholder from an address is audited again.</summary>
    public static readonly TimeSpan AuditBurstGap = TimeSpan.FromMinutes(10);

    private const int MaxTrackedAddresses = 4096;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, DateTimeOffset> _recorded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _refused = new(StringComparer.Ordinal);

    /// <param name="selector"><c>mac:…</c> or <c>uuid:…</c>, normalised.</param>
    /// <param name="address">The client address (audit bursts, refusals); null when unknown.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<PlaceholderResult> RecordAsync(
        string selector, IPAddress? address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var enrollmentId = IgnitionEndpoints.PendingEnrollmentPrefix + selector;
        var now = time.GetUtcNow();
        var key = AnonymousRequestLimiter.KeyOf(address);
        var actor = Actor.FromDevice(enrollmentId, address?.ToString());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var existing = await db.Devices
                .SingleOrDefaultAsync(d => d.EnrollmentId == enrollmentId, cancellationToken);
            var mac = selector.StartsWith("mac:", StringComparison.Ordinal) ? selector[4..] : null;
            var registration = mac is null ? null : await db.PreRegistrations.AsNoTracking()
                .Where(p => p.Mac == mac && p.DeviceId == null).OrderBy(p => p.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (existing is not null)
            {
                existing.LastRequestAt = now;
                await db.SaveChangesAsync(cancellationToken);
                return new(PlaceholderOutcome.AlreadyRecorded, existing.Id, registration is not null);
            }

            var cap = options.Value.MaxPendingPlaceholders;
            var waiting = await db.Devices
                .Where(d => d.State == EnrollmentState.Pending)
                .Where(d => d.EnrollmentId.StartsWith(IgnitionEndpoints.PendingEnrollmentPrefix))
                .CountAsync(cancellationToken);
            if (waiting >= cap && registration is null)
            {
                if (StartsBurst(_refused, key, now))
                {
                    await audit.RecordAsync(actor, "device.enrol", "device", null, AuditOutcome.Denied,
                        $"{selector} asked GET /ignition from {key}; not recorded: {waiting} Pending devices "
                        + $"from /ignition await a decision (Fleet:Configs:MaxPendingPlaceholders = {cap}); "
                        + "further refusals from this address "
                        + $"are not audited until {AuditBurstGap.TotalMinutes:0} minutes pass without one",
                        cancellationToken);
                }

                return new(PlaceholderOutcome.CapReached, null, false);
            }

            var device = Placeholder(selector, enrollmentId, address, now);
            if (registration is not null)
            {
                device.GroupId = registration.GroupId;
                device.Hostname = string.IsNullOrEmpty(registration.Hostname) ? device.Hostname : registration.Hostname;
            }

            db.Devices.Add(device);
            db.DeviceEvents.Add(new DeviceEvent
            {
                DeviceId = device.Id,
                At = now,
                Kind = "enrolment",
                Message = $"Asked for its Ignition config by {selector} from {device.LastAddress}; pending approval"
                    + (registration is null ? string.Empty : $" (pre-registered by {registration.CreatedBy})"),
            });
            if (StartsBurst(_recorded, key, now))
            {
                audit.Add(db, actor, "device.enrol", "device", device.Id.ToString("N"),
                    after: $"{device.Hostname} ({selector}): Pending",
                    detail: "from GET /ignition; more unknown machines from this address are recorded without an audit "
                        + "entry each (see their device events) "
                        + $"until {AuditBurstGap.TotalMinutes:0} minutes pass without one");
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException ex)
            {
                logger.LogInformation(ex, "Pending record for {Selector} was created by another portal", selector);
                return new(PlaceholderOutcome.AlreadyRecorded, null, false);
            }

            logger.LogInformation(
                "Unknown device {Selector} asked for its Ignition config; recorded as pending device {DeviceId:N}"
                + "{PreRegistered}", selector, device.Id, registration is null ? string.Empty : " (pre-registered)");
            return new(PlaceholderOutcome.Recorded, device.Id, registration is not null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Whether an event from <paramref name="key"/> at <paramref name="now"/> starts a new burst; remembers it.
    /// </summary>
    internal static bool StartsBurst(Dictionary<string, DateTimeOffset> bursts, string key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bursts);
        var starts = !bursts.TryGetValue(key, out var last) || now - last >= AuditBurstGap;
        bursts[key] = now;
        if (bursts.Count > MaxTrackedAddresses)
        {
            foreach (var old in bursts.Where(b => now - b.Value >= AuditBurstGap).Select(b => b.Key).ToList())
            {
                bursts.Remove(old);
            }
        }

        return starts;
    }

    private static Device Placeholder(string selector, string enrollmentId, IPAddress? address, DateTimeOffset now)
    {
        var value = selector[(selector.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var isMac = selector.StartsWith("mac:", StringComparison.Ordinal);
        var device = new Device
        {
            Id = Guid.NewGuid(),
            EnrollmentId = enrollmentId,
            State = EnrollmentState.Pending,
            MachineId = isMac ? string.Empty : value,
            Hostname = "ignition-" + (isMac ? value.Replace(":", string.Empty, StringComparison.Ordinal) : value[..12]),
            Architecture = string.Empty,
            Kernel = string.Empty,
            OsName = string.Empty,
            OsReleaseJson = "{}",
            PrimaryMac = isMac ? value : string.Empty,
            AgentVersion = string.Empty,
            LastAddress = address?.ToString(),
            FirstSeenAt = now,
            LastRequestAt = now,
        };
        if (isMac)
        {
            device.Macs.Add(new DeviceMac { Mac = value, InterfaceName = "pxe", IsPrimary = true });
        }

        return device;
    }

    public void Dispose() => _gate.Dispose();
}
