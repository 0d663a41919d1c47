using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// How <see cref="DeviceAgentState"/> is stored: one row per device that was offered or reported a build.
/// </summary>
internal sealed class DeviceAgentStateConfiguration : IEntityTypeConfiguration<DeviceAgentState>
{
    public void Configure(EntityTypeBuilder<DeviceAgentState> builder)
    {
        builder.HasKey(s => s.DeviceId);
        builder.Property(s => s.OfferedVersion).HasMaxLength(Protocol.MaxAgentVersionLength);
        builder.Property(s => s.ReportedVersion).HasMaxLength(Protocol.MaxAgentVersionLength);
        builder.Property(s => s.LastResult).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.LastDetail).HasMaxLength(Protocol.MaxUpdateErrorLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(s => s.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
