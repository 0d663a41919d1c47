using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>The OS-update columns of <see cref="Device"/>, kept apart from the enrolment mapping.</summary>
internal sealed class DeviceUpdateConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> builder)
    {
        builder.Property(x => x.BootedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(x => x.RollbackCommandId).HasMaxLength(Protocol.MaxCommandIdLength);
        builder.Property(x => x.BootedChecksum).HasMaxLength(Protocol.OstreeChecksumLength);
        builder.Property(x => x.StagedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(x => x.UpdateStatus).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Greenboot).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.UpdateAgent).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.NodeUuid).HasMaxLength(32);
        builder.Property(x => x.RollbackCommandAck).HasMaxLength(Protocol.MaxCommandIdLength);
        builder.Property(x => x.LastUpdateEventId).HasMaxLength(Protocol.MaxEventIdLength);
        builder.HasIndex(x => x.NodeUuid);
        builder.HasIndex(x => x.BootedVersion);
    }
}
