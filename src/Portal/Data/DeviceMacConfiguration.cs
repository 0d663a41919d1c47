using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>How <see cref="DeviceMac"/> is stored; its relationship is mapped as <see cref="Device.Macs"/>.</summary>
internal sealed class DeviceMacConfiguration : IEntityTypeConfiguration<DeviceMac>
{
    public void Configure(EntityTypeBuilder<DeviceMac> builder)
    {
        builder.HasIndex(x => x.Mac);
        builder.HasIndex(x => new { x.DeviceId, x.Mac }).IsUnique();
        builder.Property(x => x.Mac).HasMaxLength(17);
        builder.Property(x => x.InterfaceName).HasMaxLength(64);
    }
}
