using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Attestation;

/// <summary>How <see cref="TpmChallengeRecord"/> is stored.</summary>
internal sealed class TpmChallengeRecordConfiguration : IEntityTypeConfiguration<TpmChallengeRecord>
{
    public void Configure(EntityTypeBuilder<TpmChallengeRecord> builder)
    {
        builder.ToTable("TpmChallenges");
        builder.Property(x => x.Id).HasMaxLength(32);
        builder.Property(x => x.EnrollmentId).HasMaxLength(64);
        builder.Property(x => x.EkHash).HasMaxLength(64);
        builder.Property(x => x.AkName).HasMaxLength(68);
        builder.HasIndex(x => x.EnrollmentId);
        builder.HasIndex(x => x.ExpiresAt);
    }
}
