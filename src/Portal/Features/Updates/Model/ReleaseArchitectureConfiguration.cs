using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="ReleaseArchitecture"/> is stored.</summary>
internal sealed class ReleaseArchitectureConfiguration : IEntityTypeConfiguration<ReleaseArchitecture>
{
    public void Configure(EntityTypeBuilder<ReleaseArchitecture> builder)
    {
        builder.HasIndex(a => new { a.ReleaseId, a.Architecture }).IsUnique();
        builder.HasIndex(a => a.Checksum);
        builder.Property(a => a.Architecture).HasMaxLength(32);
        builder.Property(a => a.Checksum).HasMaxLength(64);
        builder.Property(a => a.OciImage).HasMaxLength(512);
    }
}
