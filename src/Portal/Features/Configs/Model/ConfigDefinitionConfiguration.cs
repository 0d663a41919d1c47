using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Configs;

/// <summary>How <see cref="ConfigDefinition"/> is stored.</summary>
internal sealed class ConfigDefinitionConfiguration : IEntityTypeConfiguration<ConfigDefinition>
{
    public void Configure(EntityTypeBuilder<ConfigDefinition> builder)
    {
        builder.ToTable("Configs");
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.Name).HasMaxLength(ConfigDefinition.MaxNameLength);
        builder.Property(c => c.Description).HasMaxLength(500);
        builder.Property(c => c.CreatedBy).HasMaxLength(256);
        builder.Property(c => c.Language).HasConversion<string>().HasMaxLength(16);
    }
}
