using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Commands;

/// <summary>How <see cref="DiagnosticScript"/> is stored: names are unique.</summary>
internal sealed class DiagnosticScriptConfiguration : IEntityTypeConfiguration<DiagnosticScript>
{
    public void Configure(EntityTypeBuilder<DiagnosticScript> builder)
    {
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Name).HasMaxLength(DiagnosticScript.MaxNameLength);
        builder.HasIndex(d => d.Name).IsUnique();
        builder.Property(d => d.Description).HasMaxLength(1024);
        builder.Property(d => d.Script).HasMaxLength(Protocol.MaxDiagnosticScriptLength);
        builder.Property(d => d.Sha256).HasMaxLength(64);
        builder.Property(d => d.ChangedBy).HasMaxLength(256);
    }
}
