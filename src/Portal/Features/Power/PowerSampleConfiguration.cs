using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Power;

/// <summary>How <see cref="PowerSample"/> is stored: read by group and time for the chart, pruned by time.</summary>
internal sealed class PowerSampleConfiguration : IEntityTypeConfiguration<PowerSample>
{
    public void Configure(EntityTypeBuilder<PowerSample> builder)
    {
        builder.HasIndex(s => new { s.GroupId, s.At });
        builder.HasIndex(s => s.At);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(s => s.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
