using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="DeviceConfigReport"/> is stored.</summary>
internal sealed class DeviceConfigReportConfiguration : IEntityTypeConfiguration<DeviceConfigReport>
{
    public void Configure(EntityTypeBuilder<DeviceConfigReport> builder)
    {
        builder.HasKey(r => r.DeviceId);
        builder.Property(r => r.Version).HasMaxLength(128);
        builder.Property(r => r.Error).HasMaxLength(2000);
        builder.HasOne<Device>().WithOne().HasForeignKey<DeviceConfigReport>(r => r.DeviceId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
