using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>How <see cref="HeartbeatRecord"/> is stored.</summary>
internal sealed class HeartbeatRecordConfiguration : IEntityTypeConfiguration<HeartbeatRecord>
{
    public void Configure(EntityTypeBuilder<HeartbeatRecord> builder)
    {
        builder.ToTable("Heartbeats");
        builder.HasIndex(x => new { x.DeviceId, x.ReceivedAt });
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
