using Fleet.Portal.Features.Attestation;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>TPM challenges and device identities; their configuration is in Features/Attestation.</summary>
public sealed partial class FleetDbContext
{
    public DbSet<DeviceIdentifier> DeviceIdentifiers => Set<DeviceIdentifier>();

    public DbSet<IdentityConflict> IdentityConflicts => Set<IdentityConflict>();

    public DbSet<TpmChallengeRecord> TpmChallenges => Set<TpmChallengeRecord>();
}
