using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Health;

/// <summary>How <see cref="HealthAggregate"/> is stored.</summary>
internal sealed class HealthAggregateConfiguration : IEntityTypeConfiguration<HealthAggregate>
{
    public void Configure(EntityTypeBuilder<HealthAggregate> builder)
    {
        builder.ToTable("HealthAggregates");
        builder.HasKey(x => new { x.DeviceId, x.BucketStart });
        builder.HasIndex(x => x.BucketStart);
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
