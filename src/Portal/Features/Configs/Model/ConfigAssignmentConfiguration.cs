using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="ConfigAssignment"/> is stored.</summary>
internal sealed class ConfigAssignmentConfiguration : IEntityTypeConfiguration<ConfigAssignment>
{
    public void Configure(EntityTypeBuilder<ConfigAssignment> builder)
    {
        builder.HasIndex(a => a.TargetKey).IsUnique();
        builder.HasIndex(a => a.ConfigId);
        builder.Property(a => a.TargetKey).HasMaxLength(64);
        builder.Property(a => a.AssignedBy).HasMaxLength(256);
        builder.Property(a => a.Scope).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<ConfigDefinition>().WithMany().HasForeignKey(a => a.ConfigId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(a => a.GroupId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Device>().WithMany().HasForeignKey(a => a.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
