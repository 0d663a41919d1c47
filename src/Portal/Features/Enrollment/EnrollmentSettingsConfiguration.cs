using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>How <see cref="EnrollmentSettings"/> is stored.</summary>
internal sealed class EnrollmentSettingsConfiguration : IEntityTypeConfiguration<EnrollmentSettings>
{
    public void Configure(EntityTypeBuilder<EnrollmentSettings> builder)
    {
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.ChangedBy).HasMaxLength(256);
        builder.HasData(new EnrollmentSettings { Id = EnrollmentSettings.SingletonId });
    }
}
