using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Health;

/// <summary>How <see cref="HealthSample"/> is stored.</summary>
internal sealed class HealthSampleConfiguration : IEntityTypeConfiguration<HealthSample>
{
    public void Configure(EntityTypeBuilder<HealthSample> builder)
    {
        builder.ToTable("HealthSamples");
        builder.HasKey(x => new { x.DeviceId, x.Sequence, x.SentAt });
        builder.HasIndex(x => new { x.DeviceId, x.At });
        builder.HasIndex(x => x.At);
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
