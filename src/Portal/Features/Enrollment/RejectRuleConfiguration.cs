using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>How <see cref="RejectRule"/> is stored.</summary>
internal sealed class RejectRuleConfiguration : IEntityTypeConfiguration<RejectRule>
{
    public void Configure(EntityTypeBuilder<RejectRule> builder)
    {
        builder.HasIndex(r => new { r.Kind, r.Value }).IsUnique();
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Value).HasMaxLength(64);
        builder.Property(r => r.Reason).HasMaxLength(500);
        builder.Property(r => r.CreatedBy).HasMaxLength(256);
    }
}
