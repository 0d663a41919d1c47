using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Alerts;

/// <summary>How <see cref="AlertInstance"/> is stored.</summary>
internal sealed class AlertInstanceConfiguration : IEntityTypeConfiguration<AlertInstance>
{
    public void Configure(EntityTypeBuilder<AlertInstance> builder)
    {
        builder.ToTable("Alerts");
        builder.Property(x => x.Message).HasMaxLength(512);
        builder.Property(x => x.Severity).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.AcknowledgedBy).HasMaxLength(256);
        builder.Property(x => x.ResolvedBy).HasMaxLength(256);
        builder.HasIndex(x => new { x.RuleId, x.DeviceId }).IsUnique().HasFilter("\"IsOpen\"");
        builder.HasIndex(x => new { x.IsOpen, x.FiredAt });
        builder.HasIndex(x => new { x.DeviceId, x.FiredAt });
        builder.HasOne<AlertRule>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
