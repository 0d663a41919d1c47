using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="RolloutOutcome"/> is stored.</summary>
internal sealed class RolloutOutcomeConfiguration : IEntityTypeConfiguration<RolloutOutcome>
{
    public void Configure(EntityTypeBuilder<RolloutOutcome> builder)
    {
        builder.HasIndex(o => new { o.ReleaseVersion, o.DeviceId }).IsUnique();
        builder.Property(o => o.ReleaseVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(o => o.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
