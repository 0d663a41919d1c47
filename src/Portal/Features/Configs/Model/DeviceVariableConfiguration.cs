using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="DeviceVariable"/> is stored.</summary>
internal sealed class DeviceVariableConfiguration : IEntityTypeConfiguration<DeviceVariable>
{
    public void Configure(EntityTypeBuilder<DeviceVariable> builder)
    {
        builder.HasIndex(v => new { v.DeviceId, v.Name }).IsUnique();
        builder.Property(v => v.Name).HasMaxLength(DeviceVariable.MaxNameLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(v => v.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
