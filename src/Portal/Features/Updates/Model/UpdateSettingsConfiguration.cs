using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>How <see cref="UpdateSettings"/> is stored.</summary>
internal sealed class UpdateSettingsConfiguration : IEntityTypeConfiguration<UpdateSettings>
{
    public void Configure(EntityTypeBuilder<UpdateSettings> builder)
    {
        builder.ToTable("UpdateSettings");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.DefaultStream).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.HasOne<UpdateStream>().WithMany().HasForeignKey(s => s.DefaultStream).OnDelete(DeleteBehavior.Restrict);
        builder.HasData(new UpdateSettings());
    }
}
