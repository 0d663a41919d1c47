using Fleet.Portal.Data;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// One device, several identities: finds a device by its proven EK first, records every MAC,
/// machine-id and EK hash a device presents, and flags — never merges — a MAC that another device
/// holds with a different EK or machine-id.
/// </summary>
internal sealed class IdentityLedger(
    FleetDbContext db, Enrollment.EnrollmentBatch batch, ILogger<IdentityLedger> logger)
{
    /// <summary>Prefix of <see cref="Device.Conflict"/> for conflicts this ledger raised (and may clear on resolution).</summary>
    public const string ConflictPrefix = "identity conflict";

    /// <summary>The device that proved this EK, if any (matching order EK → enrolment id/machine-id → MAC).</summary>
    public async Task<Device?> FindByEkAsync(string ekHash, CancellationToken cancellationToken) =>
        db.Devices.Local.FirstOrDefault(d => d.EkHash == ekHash)
        ?? await db.Devices.Include(d => d.Macs).FirstOrDefaultAsync(d => d.EkHash == ekHash, cancellationToken);

    /// <summary>Records what the request presented and flags conflicts; true when the device has an open identity conflict.</summary>
    public async Task<bool> RecordAsync(Device device, EnrollmentRequest request, string? ekHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(request);
        if (db.Entry(device).State != EntityState.Added)
        {
            await db.Entry(device).Collection(d => d.Identifiers).LoadAsync(cancellationToken);
        }

        var macs = request.Interfaces
            .Select(n => MacAddress.TryNormalize(n.Mac, out var mac) ? mac : null)
            .OfType<string>()
            .Distinct()
            .ToList();
        Seen(device, IdentifierKind.MachineId, request.MachineId, now);
        foreach (var mac in macs)
        {
            Seen(device, IdentifierKind.Mac, mac, now);
        }

        if (ekHash is not null)
        {
            Seen(device, IdentifierKind.EkHash, ekHash, now);
        }

        await FlagAsync(device, macs, request.MachineId, ekHash, now, cancellationToken);
        return device.Conflict?.StartsWith(ConflictPrefix, StringComparison.Ordinal) == true;
    }

    private static void Seen(Device device, IdentifierKind kind, string value, DateTimeOffset now)
    {
        var row = device.Identifiers.FirstOrDefault(i => i.Kind == kind && i.Value == value);
        if (row is null)
        {
            device.Identifiers.Add(new DeviceIdentifier { DeviceId = device.Id, Kind = kind, Value = value, FirstSeenAt = now, LastSeenAt = now });
        }
        else
        {
            row.LastSeenAt = now;
        }
    }

    private async Task FlagAsync(Device device, List<string> macs, string machineId, string? ekHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Other devices holding one of these MACs: committed rows (from the batch preload when it covers them), and
        // devices added or changed earlier in this batch.
        var stored = batch.StoredOwners(macs)?.Where(o => o.Id != device.Id).Select(o => new Holder(o.Mac, o.Id, o.Hostname, o.MachineId, o.EkHash)).ToList()
            ?? await db.DeviceMacs
                .Where(m => macs.Contains(m.Mac) && m.DeviceId != device.Id)
                .Join(db.Devices, m => m.DeviceId, d => d.Id, (m, d) => new Holder(m.Mac, d.Id, d.Hostname, d.MachineId, d.EkHash))
                .ToListAsync(cancellationToken);
        var tracked = batch.TrackedWithMacs(macs)
            ?? db.Devices.Local.SelectMany(d => d.Macs.Where(m => macs.Contains(m.Mac)).Select(m => (m.Mac, Device: d)));
        var local = tracked.Where(x => x.Device.Id != device.Id)
            .Select(x => new Holder(x.Mac, x.Device.Id, x.Device.Hostname, x.Device.MachineId, x.Device.EkHash));
        var holders = stored.Concat(local).DistinctBy(h => (h.Mac, h.DeviceId)).ToList();
        if (holders.Count == 0)
        {
            return;
        }

        var open = await db.IdentityConflicts.Where(c => c.DeviceId == device.Id).ToListAsync(cancellationToken);
        foreach (var holder in holders)
        {
            var differences = new List<string>();
            if ((ekHash ?? holder.EkHash) is not null && ekHash != holder.EkHash)
            {
                differences.Add($"EK {TpmAttestation.Short(ekHash)} here, {TpmAttestation.Short(holder.EkHash)} there");
            }

            if (machineId != holder.MachineId)
            {
                differences.Add($"machine-id {machineId} here, {holder.MachineId} there");
            }

            // Same EK and machine-id under another record is a re-enrolment, which the enrolment rules handle.
            if (differences.Count == 0 || open.Any(c => c.OtherDeviceId == holder.DeviceId && c.Kind == IdentifierKind.Mac && c.Value == holder.Mac))
            {
                continue;
            }

            var detail = string.Join("; ", differences);
            db.IdentityConflicts.Add(new IdentityConflict
            {
                DeviceId = device.Id,
                OtherDeviceId = holder.DeviceId,
                Kind = IdentifierKind.Mac,
                Value = holder.Mac,
                Detail = detail,
                DetectedAt = now,
            });
            device.Conflict = $"{ConflictPrefix}: MAC {holder.Mac} already belongs to device {holder.Hostname} ({holder.DeviceId:N}): {detail}";
            db.DeviceEvents.Add(new DeviceEvent { DeviceId = device.Id, At = now, Kind = "conflict", Message = device.Conflict.Length <= 1024 ? device.Conflict : device.Conflict[..1024] });
            logger.LogWarning("Identity conflict: device {DeviceId:N} ({Hostname}) presents MAC {Mac} of device {OtherId:N} ({OtherHost}) with {Detail}; flagged for a person, not merged",
                device.Id, device.Hostname, holder.Mac, holder.DeviceId, holder.Hostname, detail);
        }
    }

    private sealed record Holder(string Mac, Guid DeviceId, string Hostname, string MachineId, string? EkHash);
}
