using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Health;

/// <summary>How <see cref="DeviceHealth"/> is stored.</summary>
internal sealed class DeviceHealthConfiguration : IEntityTypeConfiguration<DeviceHealth>
{
    public void Configure(EntityTypeBuilder<DeviceHealth> builder)
    {
        builder.ToTable("DeviceHealth");
        builder.HasKey(x => x.DeviceId);
        builder.HasIndex(x => x.Worst);
        builder.Property(x => x.FullestMount).HasMaxLength(512);
        builder.HasOne<Device>().WithOne().HasForeignKey<DeviceHealth>(x => x.DeviceId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
