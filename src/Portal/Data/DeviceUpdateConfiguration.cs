using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>
/// The OS-update columns of <see cref="Device"/>: what its deployment reports say (Device.cs) and how it is
/// updated (its group, stream, pause and pin; Device.Updates.cs). Kept apart from the enrolment mapping.
/// </summary>
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

        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(d => d.GroupId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<UpdateStream>().WithMany().HasForeignKey(d => d.UpdateStreamOverride)
            .OnDelete(DeleteBehavior.Restrict);
        builder.Property(d => d.UpdateStreamOverride).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(d => d.UpdatesPauseReason).HasMaxLength(Pause.MaxReasonLength);
        builder.Property(d => d.UpdatesPausedBy).HasMaxLength(256);
        builder.Property(d => d.PinnedVersion).HasMaxLength(Protocol.MaxVersionLength);
    }
}
