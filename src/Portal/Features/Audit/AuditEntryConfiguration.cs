using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Audit;

/// <summary>How <see cref="AuditEntry"/> is stored.</summary>
internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.HasIndex(x => x.At);
        builder.HasIndex(x => new { x.EntityType, x.EntityId });
        builder.HasIndex(x => x.Actor);
        builder.Property(x => x.Actor).HasMaxLength(256);
        builder.Property(x => x.ActorRole).HasMaxLength(32);
        builder.Property(x => x.Action).HasMaxLength(64);
        builder.Property(x => x.EntityType).HasMaxLength(64);
        builder.Property(x => x.EntityId).HasMaxLength(128);
        builder.Property(x => x.Before).HasMaxLength(AuditLog.MaxSummaryLength);
        builder.Property(x => x.After).HasMaxLength(AuditLog.MaxSummaryLength);
        builder.Property(x => x.Detail).HasMaxLength(AuditLog.MaxSummaryLength);
        builder.Property(x => x.RemoteAddress).HasMaxLength(64);
        builder.Property(x => x.Source).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
    }
}
