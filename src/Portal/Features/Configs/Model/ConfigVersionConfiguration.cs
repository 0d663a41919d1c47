using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="ConfigVersion"/> is stored.</summary>
internal sealed class ConfigVersionConfiguration : IEntityTypeConfiguration<ConfigVersion>
{
    public void Configure(EntityTypeBuilder<ConfigVersion> builder)
    {
        builder.HasIndex(v => new { v.ConfigId, v.Number }).IsUnique();
        builder.Property(v => v.Author).HasMaxLength(256);
        builder.Property(v => v.Message).HasMaxLength(1000);
        builder.HasOne<ConfigDefinition>().WithMany().HasForeignKey(v => v.ConfigId).OnDelete(DeleteBehavior.Cascade);
    }
}
