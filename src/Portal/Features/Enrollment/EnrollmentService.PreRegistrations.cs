using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Enrollment;

// Pre-registration: one device, or many from a CSV with a per-row report.
public sealed partial class EnrollmentService
{
    public async Task<IReadOnlyList<PreRegistrationRow>> ListPreRegistrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await GroupNamesAsync(db, cancellationToken);
        var rows = await db.PreRegistrations.AsNoTracking().OrderByDescending(p => p.Id).Take(5000).ToListAsync(cancellationToken);
        return rows.Select(p => new PreRegistrationRow(p.Id, p.Mac, p.EkHash, p.Hostname, p.GroupId is { } g ? groups.GetValueOrDefault(g) : null,
            p.Labels, p.CreatedAt, p.CreatedBy, p.DeviceId)).ToList();
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<PreRegistrationRow>> AddPreRegistrationAsync(
        PreRegistrationInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.preregister", "pre-registration", input?.Mac ?? input?.EkHash, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        ArgumentNullException.ThrowIfNull(input);
        var report = await ImportAsync([new CsvDeviceRow(0, input.Mac, input.EkHash, input.Hostname, input.Group, input.Labels)], actor, cancellationToken);
        if (report.Errors.Count > 0 && report.Errors[0] is { } error)
        {
            return error.Reason.Contains("already", StringComparison.Ordinal)
                ? Outcome.Conflict(error.Column, error.Reason)
                : Outcome.Invalid(error.Column, error.Reason);
        }

        return Outcome.Of((await ListPreRegistrationsAsync(cancellationToken))[0]);
    }

    /// <summary>
    /// Imports a CSV: every good row is imported, every bad one reported (line, column, reason); a row is
    /// imported whole or not at all.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<CsvImportReport>> ImportPreRegistrationsAsync(
        string csv, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.preregister.import", "pre-registration", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        var (rows, errors) = PreRegistrationCsv.Parse(csv ?? string.Empty);
        var report = await ImportAsync(rows, actor, cancellationToken);
        var all = errors.Concat(report.Errors).OrderBy(e => e.Row).ToList();
        logger.LogInformation("Pre-registration CSV imported by {Actor}: {Imported} rows imported, {Refused} refused", actor.Name, report.Imported, all.Count);
        return Outcome.Of(new CsvImportReport(report.Imported, all));
    }

    /// <summary>
    /// The signed URL (with secrets: the group's Ignition enrolment token) of the config a pre-registered MAC gets at
    /// first boot, for a manual install or a PXE menu; makes the machine's Pending device (in the pre-registration's
    /// group, with its hostname) if it has not asked yet. The agent that enrols with that MAC adopts the same device.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<PreRegistrationIgnitionUrl>> IgnitionUrlAsync(
        int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.preregister.ignition-url",
                "pre-registration", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.PreRegistrations.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound($"There is no pre-registration {id}.");
        }

        var deviceId = row.DeviceId ?? await db.DeviceMacs.AsNoTracking().Where(m => m.Mac == row.Mac)
            .OrderByDescending(m => m.IsPrimary).Select(m => (Guid?)m.DeviceId).FirstOrDefaultAsync(cancellationToken);
        if (deviceId is null && row.Mac is not null)
        {
            deviceId = (await placeholders.RecordAsync("mac:" + row.Mac, null, cancellationToken)).DeviceId;
        }

        if (deviceId is null)
        {
            return Outcome.Invalid("id", "This pre-registration names no MAC (only an EK hash): a machine asks for its "
                + "config by MAC, so it has no URL until it has asked once.");
        }

        var url = signer.SignedUrl(deviceId.Value, Configs.SecretMode.Reveal);
        audit.Add(db, actor, "enrollment.preregister.ignition-url", "pre-registration", key,
            after: $"signed Ignition URL (with secrets) of device {deviceId:N} for {row.Mac}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(new PreRegistrationIgnitionUrl(deviceId.Value, url.ToString()));
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<bool>> RemovePreRegistrationAsync(
        int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.preregister.remove", "pre-registration", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.PreRegistrations.SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound($"There is no pre-registration {id}.");
        }

        db.PreRegistrations.Remove(row);
        audit.Add(db, actor, "enrollment.preregister.remove", "pre-registration", row.Mac ?? row.EkHash, before: Describe(row));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(true);
    }

    /// <summary>Validates every row against the rules, the file and the database; stores the good ones in one transaction.</summary>
    private async Task<CsvImportReport> ImportAsync(IReadOnlyList<CsvDeviceRow> rows, Actor actor, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Name, g => g.Id, StringComparer.Ordinal, cancellationToken);
        var macs = rows.Select(r => Shared.MacAddress.TryNormalize(r.Mac, out var m) ? m : null).OfType<string>().ToList();
        var eks = rows.Select(r => r.EkHash?.ToLowerInvariant()).OfType<string>().ToList();
        var takenMacs = (await db.PreRegistrations.Where(p => p.Mac != null && macs.Contains(p.Mac)).Select(p => p.Mac!).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var takenEks = (await db.PreRegistrations.Where(p => p.EkHash != null && eks.Contains(p.EkHash)).Select(p => p.EkHash!).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var errors = new List<CsvRowError>();
        var now = time.GetUtcNow();
        var imported = 0;
        foreach (var row in rows)
        {
            var rowErrors = new List<CsvRowError>();
            string? mac = null;
            if (row.Mac is not null && (!MacAddress.TryNormalize(row.Mac, out mac) || MacAddress.IsZero(mac)))
            {
                rowErrors.Add(new(row.Line, "mac", $"'{Shorten(row.Mac)}' is not a MAC address"));
                mac = null;
            }
            else if (mac is not null && !takenMacs.Add(mac))
            {
                rowErrors.Add(new(row.Line, "mac", $"{mac} is already pre-registered (in the portal or earlier in this file)"));
            }

            var ek = row.EkHash?.ToLowerInvariant();
            if (ek is not null && !EkHashPattern().IsMatch(ek))
            {
                rowErrors.Add(new(row.Line, "ek_hash", "must be 64 hex digits (SHA-256 of the EK public key's DER SubjectPublicKeyInfo)"));
            }
            else if (ek is not null && !takenEks.Add(ek))
            {
                rowErrors.Add(new(row.Line, "ek_hash", $"{ek[..12]}… is already pre-registered (in the portal or earlier in this file)"));
            }

            if (row.Mac is null && row.EkHash is null)
            {
                rowErrors.Add(new(row.Line, "mac", "a row needs a mac or an ek_hash"));
            }

            if (row.Hostname is { } host && (host.Length > Protocol.MaxFieldLength || host.Any(char.IsControl)))
            {
                rowErrors.Add(new(row.Line, "hostname", $"at most {Protocol.MaxFieldLength} characters, no control characters"));
            }

            int? groupId = null;
            if (row.Group is { } group)
            {
                if (groups.TryGetValue(group, out var id))
                {
                    groupId = id;
                }
                else
                {
                    rowErrors.Add(new(row.Line, "group", $"no device group named '{Shorten(group)}'"));
                }
            }

            if (row.Labels is { Length: > 1024 })
            {
                rowErrors.Add(new(row.Line, "labels", "at most 1024 characters"));
            }
            else
            {
                // The labels the device gets when it enrols: refused here, where the person can fix them.
                rowErrors.AddRange(DeviceLabels.ParseList(row.Labels).Errors
                    .Select(e => new CsvRowError(row.Line, "labels", e)));
            }

            if (rowErrors.Count > 0)
            {
                // A half-valid row is not imported at all; what it claimed is given back to later rows.
                if (mac is not null && !rowErrors.Any(e => e.Column == "mac"))
                {
                    takenMacs.Remove(mac);
                }

                if (ek is not null && !rowErrors.Any(e => e.Column == "ek_hash"))
                {
                    takenEks.Remove(ek);
                }

                errors.AddRange(rowErrors);
                continue;
            }

            var registration = new PreRegistration
            {
                Mac = mac,
                EkHash = ek,
                Hostname = row.Hostname,
                GroupId = groupId,
                Labels = row.Labels,
                CreatedAt = now,
                CreatedBy = actor.Name,
            };
            db.PreRegistrations.Add(registration);
            audit.Add(db, actor, "enrollment.preregister", "pre-registration", mac ?? ek, after: Describe(registration));
            imported++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return new CsvImportReport(imported, errors);
    }

    private static string Describe(PreRegistration p) =>
        $"mac {p.Mac ?? "-"}, ek {(p.EkHash is null ? "-" : p.EkHash[..12] + "…")}, host {p.Hostname ?? "-"}, group {p.GroupId?.ToString(CultureInfo.InvariantCulture) ?? "default"}, labels {p.Labels ?? "-"}";

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex EkHashPattern();
}
