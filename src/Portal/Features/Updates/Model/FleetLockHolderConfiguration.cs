using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="FleetLockHolder"/> is stored.</summary>
internal sealed class FleetLockHolderConfiguration : IEntityTypeConfiguration<FleetLockHolder>
{
    public void Configure(EntityTypeBuilder<FleetLockHolder> builder)
    {
        builder.HasIndex(h => new { h.GroupId, h.NodeId }).IsUnique();
        builder.HasIndex(h => new { h.GroupId, h.Slot }).IsUnique();
        builder.Property(h => h.NodeId).HasMaxLength(FleetLockHolder.MaxNodeIdLength);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(h => h.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
