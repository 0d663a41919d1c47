using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Commands;

/// <summary>How <see cref="DeviceCommandUpload"/> is stored: one row per part, gone with its command.</summary>
internal sealed class DeviceCommandUploadConfiguration : IEntityTypeConfiguration<DeviceCommandUpload>
{
    public void Configure(EntityTypeBuilder<DeviceCommandUpload> builder)
    {
        builder.HasKey(u => new { u.CommandId, u.Part });
        builder.HasOne<DeviceCommand>().WithMany().HasForeignKey(u => u.CommandId).OnDelete(DeleteBehavior.Cascade);
    }
}
