using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Alerts;

/// <summary>How <see cref="AlertSettings"/> is stored: one row, id 1.</summary>
internal sealed class AlertSettingsConfiguration : IEntityTypeConfiguration<AlertSettings>
{
    public void Configure(EntityTypeBuilder<AlertSettings> builder) =>
        builder.Property(x => x.Id).ValueGeneratedNever();
}
