using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="DeviceGroup"/> is stored.</summary>
internal sealed class DeviceGroupConfiguration : IEntityTypeConfiguration<DeviceGroup>
{
    public void Configure(EntityTypeBuilder<DeviceGroup> builder)
    {
        builder.HasIndex(g => g.Name).IsUnique();
        builder.Property(g => g.Name).HasMaxLength(DeviceGroup.MaxNameLength);
        builder.Property(g => g.Description).HasMaxLength(500);
        builder.Property(g => g.StreamOverride).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(g => g.PauseReason).HasMaxLength(Pause.MaxReasonLength);
        builder.Property(g => g.PausedBy).HasMaxLength(256);
        builder.Property(g => g.PinnedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(g => g.FleetLockSlots).HasDefaultValue(1);

        // Existing groups keep allowing passwords, so agents without a certificate keep connecting.
        builder.Property(g => g.PasswordsAllowed).HasDefaultValue(true).HasSentinel(true);
        builder.Ignore(g => g.Window);
        builder.HasOne<UpdateStream>().WithMany().HasForeignKey(g => g.StreamOverride)
            .OnDelete(DeleteBehavior.Restrict);
        builder.HasData(new DeviceGroup
        {
            Id = DeviceGroup.DefaultId,
            Name = DeviceGroup.DefaultName,
            Description = "Every device not put in another group; Zincati's default group.",
            FleetLockSlots = 1,
            PasswordsAllowed = true,
        });
    }
}
