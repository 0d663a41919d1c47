using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>How <see cref="PreRegistration"/> is stored.</summary>
internal sealed class PreRegistrationConfiguration : IEntityTypeConfiguration<PreRegistration>
{
    public void Configure(EntityTypeBuilder<PreRegistration> builder)
    {
        builder.HasIndex(p => p.Mac).IsUnique();
        builder.HasIndex(p => p.EkHash).IsUnique();
        builder.Property(p => p.Mac).HasMaxLength(17);
        builder.Property(p => p.EkHash).HasMaxLength(64);
        builder.Property(p => p.Hostname).HasMaxLength(256);
        builder.Property(p => p.Labels).HasMaxLength(1024);
        builder.Property(p => p.CreatedBy).HasMaxLength(256);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(p => p.GroupId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Device>().WithMany().HasForeignKey(p => p.DeviceId).OnDelete(DeleteBehavior.SetNull);
    }
}
