using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Commands;

/// <summary>How <see cref="DeviceCommand"/> is stored: indexed for a device's waiting commands in order, and for a
/// run's commands by state.</summary>
internal sealed class DeviceCommandConfiguration : IEntityTypeConfiguration<DeviceCommand>
{
    public void Configure(EntityTypeBuilder<DeviceCommand> builder)
    {
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Kind).HasMaxLength(32);
        builder.Property(c => c.ArgumentsJson).HasMaxLength(Protocol.MaxDiagnosticScriptLength + 4096);
        builder.Property(c => c.Reason).HasMaxLength(CommandOrder.MaxReasonLength);
        builder.Property(c => c.RequestedBy).HasMaxLength(256);
        builder.Property(c => c.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Output).HasMaxLength(Protocol.MaxCommandOutputLength);
        builder.Property(c => c.Error).HasMaxLength(Protocol.MaxCommandOutputLength);
        builder.Property(c => c.Detail).HasMaxLength(Protocol.MaxUpdateErrorLength);
        builder.Ignore(c => c.IsFinished);
        builder.HasIndex(c => new { c.DeviceId, c.State, c.RequestedAt });
        builder.HasIndex(c => new { c.RunId, c.State });
        builder.HasIndex(c => new { c.State, c.ExpiresAt });
        builder.HasOne<Device>().WithMany().HasForeignKey(c => c.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
