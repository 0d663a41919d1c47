using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Power;

/// <summary>How <see cref="PowerPlan"/> is stored: one row per group, gone with its group.</summary>
internal sealed class PowerPlanConfiguration : IEntityTypeConfiguration<PowerPlan>
{
    public void Configure(EntityTypeBuilder<PowerPlan> builder)
    {
        builder.HasKey(p => p.GroupId);
        builder.Property(p => p.GroupId).ValueGeneratedNever();
        builder.Property(p => p.Schedule).HasMaxLength(PowerPlan.MaxScheduleLength);
        builder.Property(p => p.TimeZone).HasMaxLength(PowerPlan.MaxTimeZoneLength);
        builder.Property(p => p.ChangedBy).HasMaxLength(256);
        builder.Property(p => p.LastDecision).HasMaxLength(PowerPlan.MaxDecisionLength);
        builder.HasOne<DeviceGroup>().WithOne().HasForeignKey<PowerPlan>(p => p.GroupId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
