using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Attestation;

/// <summary>How <see cref="IdentityConflict"/> is stored.</summary>
internal sealed class IdentityConflictConfiguration : IEntityTypeConfiguration<IdentityConflict>
{
    public void Configure(EntityTypeBuilder<IdentityConflict> builder)
    {
        builder.HasIndex(x => new { x.DeviceId, x.ResolvedAt });
        builder.HasIndex(x => x.ResolvedAt);
        builder.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Value).HasMaxLength(64);
        builder.Property(x => x.Detail).HasMaxLength(1024);
        builder.Property(x => x.ResolvedBy).HasMaxLength(256);
        builder.Property(x => x.Resolution).HasMaxLength(1024);
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
