using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>How <see cref="DeviceEvent"/> is stored.</summary>
internal sealed class DeviceEventConfiguration : IEntityTypeConfiguration<DeviceEvent>
{
    public void Configure(EntityTypeBuilder<DeviceEvent> builder)
    {
        builder.HasIndex(x => new { x.DeviceId, x.At });
        builder.Property(x => x.Kind).HasMaxLength(32);
        builder.Property(x => x.Message).HasMaxLength(1024);
        builder.Property(x => x.SourceId).HasMaxLength(Protocol.MaxEventIdLength);
        builder.HasIndex(x => new { x.DeviceId, x.SourceId }).IsUnique().HasFilter("\"SourceId\" IS NOT NULL");
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
