using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Devices;

/// <summary>How <see cref="SavedDeviceFilter"/> is stored: a name is unique per owner.</summary>
internal sealed class SavedDeviceFilterConfiguration : IEntityTypeConfiguration<SavedDeviceFilter>
{
    public void Configure(EntityTypeBuilder<SavedDeviceFilter> builder)
    {
        builder.HasIndex(x => new { x.Owner, x.Name }).IsUnique();
        builder.Property(x => x.Owner).HasMaxLength(256);
        builder.Property(x => x.Name).HasMaxLength(SavedDeviceFilter.MaxNameLength);
        builder.Property(x => x.Query).HasMaxLength(SavedDeviceFilter.MaxQueryLength);
    }
}
