using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// How <see cref="DeviceIdentifier"/> is stored; its relationship is the
/// <see cref="Data.Device.Identifiers"/> navigation, mapped with the device.
/// </summary>
internal sealed class DeviceIdentifierConfiguration : IEntityTypeConfiguration<DeviceIdentifier>
{
    public void Configure(EntityTypeBuilder<DeviceIdentifier> builder)
    {
        builder.HasIndex(x => new { x.Kind, x.Value });
        builder.HasIndex(x => new { x.DeviceId, x.Kind, x.Value }).IsUnique();
        builder.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Value).HasMaxLength(64);
    }
}
