using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>How <see cref="ClaimCode"/> is stored.</summary>
internal sealed class ClaimCodeConfiguration : IEntityTypeConfiguration<ClaimCode>
{
    public void Configure(EntityTypeBuilder<ClaimCode> builder)
    {
        builder.HasIndex(c => c.CodeHash).IsUnique();
        builder.HasIndex(c => c.DeviceId);
        builder.Property(c => c.CodeHash).HasMaxLength(32);
        builder.Property(c => c.UsedBy).HasMaxLength(256);
        builder.HasOne<Device>().WithMany().HasForeignKey(c => c.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
