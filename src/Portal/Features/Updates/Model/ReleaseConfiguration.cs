using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="Release"/> is stored.</summary>
internal sealed class ReleaseConfiguration : IEntityTypeConfiguration<Release>
{
    public void Configure(EntityTypeBuilder<Release> builder)
    {
        builder.HasIndex(r => new { r.StreamName, r.Version }).IsUnique();
        // Not unique: a re-import renumbers releases in one SaveChanges, and SQLite checks per statement.
        builder.HasIndex(r => new { r.StreamName, r.AgeIndex });
        builder.HasIndex(r => r.Version);
        builder.Property(r => r.StreamName).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(r => r.Version).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(r => r.BarrierReason).HasMaxLength(Release.MaxReasonLength);
        builder.Property(r => r.DeadEndReason).HasMaxLength(Release.MaxReasonLength);
        builder.Property(r => r.HaltReason).HasMaxLength(Release.MaxReasonLength);
        builder.Property(r => r.HaltedBy).HasMaxLength(256);
        builder.Ignore(r => r.IsHalted);
        builder.HasMany(r => r.Architectures).WithOne().HasForeignKey(a => a.ReleaseId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
