using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>An approval a policy grants: who approved (for the record) and the group the device joins.</summary>
internal sealed record AutoApproval(string By, int? GroupId, string Detail);

/// <summary>
/// The enrolment policy applied inside the ingest batch (one instance per batch): the reject list,
/// token and pre-registration approval, and claim codes. Decisions are made in the batch's own
/// transaction, so an auto-approved device costs no transaction of its own.
/// </summary>
internal sealed class EnrollmentPolicy(FleetDbContext db, IOptions<EnrollmentOptions> options, PortalPublicUrl publicUrl, ILogger<EnrollmentPolicy> logger)
{
    private EnrollmentSettings? _settings;
    private List<RejectRule>? _rejects;

    /// <summary>The reject rule that matches what the device presents, if any.</summary>
    public async Task<RejectRule?> RejectedByAsync(string enrollmentId, EnrollmentRequest request, CancellationToken cancellationToken)
    {
        _rejects ??= await db.RejectRules.AsNoTracking().ToListAsync(cancellationToken);
        if (_rejects.Count == 0)
        {
            return null;
        }

        var macs = request.Interfaces.Select(n => MacAddress.TryNormalize(n.Mac, out var m) ? m : n.Mac).ToHashSet(StringComparer.Ordinal);
        return _rejects.FirstOrDefault(r => r.Kind switch
        {
            RejectKind.Mac => macs.Contains(r.Value),
            RejectKind.MachineId => r.Value == request.MachineId,
            _ => r.Value == enrollmentId,
        });
    }

    /// <summary>
    /// Whether a policy approves this pending device now. Only a device no person has decided on yet
    /// (a revoked device waits for a person) and without a conflict flag qualifies.
    /// </summary>
    public async Task<AutoApproval?> DecideAsync(Device device, EnrollmentRequest request, DateTimeOffset now, string? ekHash, CancellationToken cancellationToken)
    {
        var settings = _settings ??= await db.EnrollmentSettings.AsNoTracking().SingleOrDefaultAsync(cancellationToken) ?? new EnrollmentSettings();
        var token = await CheckTokenAsync(device, request.EnrollmentToken, now, cancellationToken);
        if (device.State != EnrollmentState.Pending || device.DecidedAt is not null || device.Conflict is not null)
        {
            return null;
        }

        if (settings.AutoApproveTokens && token is not null)
        {
            token.Uses++;
            token.LastUsedAt = now;
            return new AutoApproval($"token:{token.Name}", token.GroupId, $"enrolment token {token.Name} ({token.Uses} of {token.MaxUses?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited"} uses)");
        }

        if (settings.AutoApprovePreRegistered && await PreRegistrationOfAsync(device, ekHash, cancellationToken) is { } registration)
        {
            registration.DeviceId = device.Id;
            if (!string.IsNullOrEmpty(registration.Hostname))
            {
                device.Hostname = registration.Hostname;
            }

            var labels = await LabelAsync(device, registration.Labels, now, cancellationToken);
            return new AutoApproval("pre-registered", registration.GroupId,
                $"pre-registration {registration.Mac ?? registration.EkHash}"
                + (labels.Count > 0 ? $", labels {string.Join(", ", labels)}" : string.Empty));
        }

        return null;
    }

    /// <summary>
    /// A fresh claim code for a pending device that has none in force, or null (it has one, or codes are
    /// off). The code itself exists only in the answer; the database keeps its hash.
    /// </summary>
    public async Task<(string Code, string Url, DateTimeOffset ExpiresAt)?> IssueClaimCodeAsync(Device device, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!options.Value.ClaimCodes || device.State != EnrollmentState.Pending)
        {
            return null;
        }

        var inForce = db.ClaimCodes.Local.Any(c => c.DeviceId == device.Id && c.UsedAt == null && c.ExpiresAt > now)
            || await db.ClaimCodes.AnyAsync(c => c.DeviceId == device.Id && c.UsedAt == null && c.ExpiresAt > now, cancellationToken);
        if (inForce)
        {
            return null;
        }

        var code = EnrollmentSecrets.NewClaimCode();
        var expires = now.AddMinutes(options.Value.ClaimCodeLifetimeMinutes);
        db.ClaimCodes.Add(new ClaimCode
        {
            DeviceId = device.Id,
            CodeHash = EnrollmentSecrets.Hash(EnrollmentSecrets.NormalizeClaimCode(code)!),
            CreatedAt = now,
            ExpiresAt = expires,
        });
        var url = new Uri(publicUrl.Get(), $"claim?code={code}").ToString();
        logger.LogInformation("Claim code issued to pending device {DeviceId:N} ({Hostname}), valid until {ExpiresAt:u}", device.Id, device.Hostname, expires);
        return (code, url, expires);
    }

    /// <summary>Records on the device which token it presented; returns the token when it is usable.</summary>
    private async Task<EnrollmentToken?> CheckTokenAsync(Device device, string? presented, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        var hash = EnrollmentSecrets.Hash(presented);
        var token = db.EnrollmentTokens.Local.FirstOrDefault(t => t.TokenHash.AsSpan().SequenceEqual(hash))
            ?? await db.EnrollmentTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null)
        {
            device.PresentedToken = $"unknown ({Shorten(presented)})";
            logger.LogWarning("Device {DeviceId:N} ({Hostname}) presented an unknown enrolment token", device.Id, device.Hostname);
            return null;
        }

        var unusable = token.Unusable(now);
        device.PresentedToken = unusable is null ? token.Name : $"{token.Name} ({unusable})";
        if (unusable is not null && device.State == EnrollmentState.Pending)
        {
            logger.LogWarning("Device {DeviceId:N} ({Hostname}) presented enrolment token {Token}, which is {Why}; left pending", device.Id, device.Hostname, token.Name, unusable);
        }

        return unusable is null ? token : null;
    }

    private async Task<PreRegistration?> PreRegistrationOfAsync(Device device, string? ekHash, CancellationToken cancellationToken)
    {
        var macs = device.Macs.Select(m => m.Mac).ToList();
        return await db.PreRegistrations
            .Where(p => p.DeviceId == null && ((p.Mac != null && macs.Contains(p.Mac)) || (ekHash != null && p.EkHash == ekHash)))
            .OrderBy(p => p.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Gives the device the labels its pre-registration announced (checked at import), unless it already has a
    /// variable of that name: a device that enrolled before keeps what a person set.
    /// </summary>
    private async Task<IReadOnlyList<DeviceLabel>> LabelAsync(
        Device device, string? announced, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (labels, _) = DeviceLabels.ParseList(announced);
        if (labels.Count == 0)
        {
            return labels;
        }

        var taken = await db.DeviceVariables.Where(v => v.DeviceId == device.Id).Select(v => v.Name)
            .ToListAsync(cancellationToken);
        var given = labels.Where(l => !taken.Contains(DeviceLabels.VariableName(l.Name))).ToList();
        foreach (var label in given)
        {
            db.DeviceVariables.Add(new DeviceVariable
            {
                DeviceId = device.Id,
                Name = DeviceLabels.VariableName(label.Name),
                Value = label.Value,
                UpdatedAt = now,
            });
        }

        return given;
    }

    private static string Shorten(string token) => token.Length <= 8 ? token : token[..8] + "…";
}
