using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="SshKey"/> is stored.</summary>
internal sealed class SshKeyConfiguration : IEntityTypeConfiguration<SshKey>
{
    public void Configure(EntityTypeBuilder<SshKey> builder)
    {
        builder.HasIndex(k => k.UserName);
        builder.HasIndex(k => k.GroupId);
        builder.Property(k => k.UserName).HasMaxLength(256);
        builder.Property(k => k.Fingerprint).HasMaxLength(128);
        builder.Property(k => k.CreatedBy).HasMaxLength(256);
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(k => k.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
