using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Agents;

/// <summary>How <see cref="AgentTarget"/> is stored.</summary>
internal sealed class AgentTargetConfiguration : IEntityTypeConfiguration<AgentTarget>
{
    public void Configure(EntityTypeBuilder<AgentTarget> builder)
    {
        builder.HasIndex(t => t.TargetKey).IsUnique();
        builder.Property(t => t.TargetKey).HasMaxLength(32);
        builder.Property(t => t.Version).HasMaxLength(Protocol.MaxAgentVersionLength);
        builder.Property(t => t.PreviousVersion).HasMaxLength(Protocol.MaxAgentVersionLength);
        builder.Property(t => t.ChangedBy).HasMaxLength(256);
        builder.Property(t => t.HaltReason).HasMaxLength(1024);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(t => t.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
