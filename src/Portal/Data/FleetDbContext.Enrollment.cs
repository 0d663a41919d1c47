using Fleet.Portal.Features.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>The enrolment tables; their configuration is in Features/Enrollment/EnrollmentModel.cs.</summary>
public sealed partial class FleetDbContext
{
    public DbSet<EnrollmentSettings> EnrollmentSettings => Set<EnrollmentSettings>();

    public DbSet<EnrollmentToken> EnrollmentTokens => Set<EnrollmentToken>();

    public DbSet<PreRegistration> PreRegistrations => Set<PreRegistration>();

    public DbSet<RejectRule> RejectRules => Set<RejectRule>();

    public DbSet<ClaimCode> ClaimCodes => Set<ClaimCode>();
}
