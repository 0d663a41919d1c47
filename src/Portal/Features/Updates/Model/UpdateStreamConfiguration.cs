using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="UpdateStream"/> is stored.</summary>
internal sealed class UpdateStreamConfiguration : IEntityTypeConfiguration<UpdateStream>
{
    public void Configure(EntityTypeBuilder<UpdateStream> builder)
    {
        builder.HasKey(s => s.Name);
        builder.Property(s => s.Name).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(s => s.Description).HasMaxLength(500);
        builder.Property(s => s.PauseReason).HasMaxLength(Pause.MaxReasonLength);
        builder.Property(s => s.PausedBy).HasMaxLength(256);
        builder.Property(s => s.LatestByArchitecture).HasMaxLength(1000);
        builder.Property(s => s.LastImportBy).HasMaxLength(256);
        builder.HasMany(s => s.Releases).WithOne().HasForeignKey(r => r.StreamName).OnDelete(DeleteBehavior.Cascade);
        builder.HasData(
            new UpdateStream
            {
                Name = "stable",
                IsBuiltIn = true,
                Description = "Fedora CoreOS stable: the most reliable stream, promoted from testing every two weeks.",
            },
            new UpdateStream
            {
                Name = "testing",
                IsBuiltIn = true,
                Description = "Fedora CoreOS testing: a preview of the next stable release.",
            },
            new UpdateStream
            {
                Name = "next",
                IsBuiltIn = true,
                Description = "Fedora CoreOS next: the next Fedora major release, early.",
            });
    }
}
