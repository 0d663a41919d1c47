using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// What the enrolment requests of one ingest batch refer to, read in three queries for the whole batch, and the
/// devices tracked so far indexed by enrolment id, machine-id and MAC. One per batch (scoped, like its
/// <see cref="FleetDbContext"/>), shared by the enrolment decider, the TPM check and the identity ledger so that
/// none of them queries per request or scans <c>DbSet.Local</c> (every tracked entity) per request, which made
/// large batches quadratic. Null answers mean "not covered by the preload": the caller queries.
/// </summary>
internal sealed class EnrollmentBatch(FleetDbContext db)
{
    private HashSet<string>? _ids;
    private HashSet<string>? _machineIds;
    private HashSet<string>? _macs;
    private List<MacOwner>? _macOwners;
    private List<KnownDevice>? _machines;
    private Dictionary<string, Device>? _byEnrollment;
    private Dictionary<string, List<Device>>? _byMachine;
    private Dictionary<string, List<Device>>? _byMac;

    /// <summary>Whether the batch was preloaded (two or more enrolment requests); otherwise every lookup says "not covered".</summary>
    public bool Preloaded => _byEnrollment is not null;

    /// <summary>
    /// Loads the devices of these enrolment ids (tracked, with their MACs), every stored holder of these MACs and
    /// every device with these machine-ids.
    /// </summary>
    public async Task PreloadAsync(IEnumerable<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var requests = batch.Where(m => m.Kind == InboundKind.Of(TopicKind.EnrollmentRequest)).ToList();
        if (requests.Count < 2)
        {
            return;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var machineIds = new HashSet<string>(StringComparer.Ordinal);
        var macs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in requests)
        {
            ids.Add(message.Id);
            try
            {
                var request = JsonSerializer.Deserialize(message.Payload.Span, FleetJson.Default.EnrollmentRequest);
                if (request?.MachineId is { } machineId)
                {
                    machineIds.Add(machineId);
                }

                foreach (var nic in request?.Interfaces ?? [])
                {
                    if (nic is not null && MacAddress.TryNormalize(nic.Mac, out var mac))
                    {
                        macs.Add(mac);
                    }
                }
            }
            catch (JsonException)
            {
                // Refused with its location when the message itself is handled.
            }
        }

        var idList = ids.ToList();
        var machineList = machineIds.ToList();
        var macList = macs.ToList();
        await db.Devices.Include(d => d.Macs).Where(d => idList.Contains(d.EnrollmentId)).LoadAsync(cancellationToken);
        _macOwners = await db.DeviceMacs
            .Where(m => macList.Contains(m.Mac))
            .Join(db.Devices, m => m.DeviceId, d => d.Id, (m, d) => new MacOwner(m.Mac, d.Id, d.Hostname, d.MachineId, d.EkHash, d.State, d.EnrollmentId, d.AgentVersion))
            .ToListAsync(cancellationToken);
        _machines = await db.Devices.AsNoTracking()
            .Where(d => machineList.Contains(d.MachineId))
            .Select(d => new KnownDevice(d.Id, d.Hostname, d.MachineId, d.State, d.DecidedBy, d.DecidedAt))
            .ToListAsync(cancellationToken);
        (_ids, _machineIds, _macs) = (ids, machineIds, macs);
        (_byEnrollment, _byMachine, _byMac) = (new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        foreach (var device in db.Devices.Local)
        {
            Track(device);
        }
    }

    /// <summary>Indexes a tracked device (again after its enrolment id, machine-id or MACs changed).</summary>
    public void Track(Device device)
    {
        if (_byEnrollment is null || _byMachine is null || _byMac is null)
        {
            return;
        }

        _byEnrollment[device.EnrollmentId] = device;
        AddTo(_byMachine, device.MachineId, device);
        foreach (var mac in device.Macs)
        {
            AddTo(_byMac, mac.Mac, device);
        }

        static void AddTo(Dictionary<string, List<Device>> index, string key, Device device)
        {
            if (!index.TryGetValue(key, out var list))
            {
                index[key] = list = [];
            }

            if (!list.Contains(device))
            {
                list.Add(device);
            }
        }
    }

    /// <summary>
    /// The device of an enrolment id when the answer is known without a query: true with the tracked device, or
    /// true with null when the preload saw no stored device with that id and none was added since.
    /// </summary>
    public bool TryFindByEnrollmentId(string enrollmentId, out Device? device)
    {
        device = null;
        if (_byEnrollment is null)
        {
            return false;
        }

        // An entry stays under an id the device has since left (a TPM re-enrolment renames it): not a match.
        if (_byEnrollment.TryGetValue(enrollmentId, out var found) && found.EnrollmentId == enrollmentId)
        {
            device = found;
            return true;
        }

        return _ids!.Contains(enrollmentId);
    }

    /// <summary>Tracked devices with this machine-id, or null when the batch is not preloaded.</summary>
    public IEnumerable<Device>? TrackedWithMachineId(string machineId) =>
        _byMachine is null ? null
        : _byMachine.TryGetValue(machineId, out var list) ? list.Where(d => d.MachineId == machineId) : [];

    /// <summary>Tracked devices holding one of these MACs, with the MAC, or null when the batch is not preloaded.</summary>
    public IEnumerable<(string Mac, Device Device)>? TrackedWithMacs(IEnumerable<string> macs) =>
        _byMac is null ? null
        : macs.SelectMany(mac => (_byMac.TryGetValue(mac, out var list) ? list : [])
            .Where(d => d.Macs.Any(m => m.Mac == mac))
            .Select(d => (mac, d)));

    /// <summary>Stored holders (as of the batch start) of these MACs, or null when the preload does not cover all of them.</summary>
    public IEnumerable<MacOwner>? StoredOwners(IReadOnlyCollection<string> macs) =>
        _macs is { } covered && macs.All(covered.Contains) ? _macOwners!.Where(o => macs.Contains(o.Mac)) : null;

    /// <summary>Stored devices (as of the batch start) with this machine-id, or null when the preload does not cover it.</summary>
    public IEnumerable<KnownDevice>? StoredWithMachineId(string machineId) =>
        _machineIds?.Contains(machineId) == true ? _machines!.Where(d => d.MachineId == machineId) : null;
}

/// <summary>A device that holds a MAC, as the conflict checks need it.</summary>
internal sealed record MacOwner(string Mac, Guid Id, string Hostname, string MachineId, string? EkHash, EnrollmentState State, string EnrollmentId, string AgentVersion);

/// <summary>A device as the machine-id checks need it.</summary>
internal sealed record KnownDevice(Guid Id, string Hostname, string MachineId, EnrollmentState State, string? DecidedBy, DateTimeOffset? DecidedAt);
