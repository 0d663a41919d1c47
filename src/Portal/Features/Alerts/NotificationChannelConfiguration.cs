using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Alerts;

/// <summary>How <see cref="NotificationChannel"/> is stored.</summary>
internal sealed class NotificationChannelConfiguration : IEntityTypeConfiguration<NotificationChannel>
{
    public void Configure(EntityTypeBuilder<NotificationChannel> builder)
    {
        builder.Property(x => x.Name).HasMaxLength(NotificationChannel.MaxNameLength);
        builder.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Target).HasMaxLength(NotificationChannel.MaxTargetLength);
        builder.Property(x => x.ProtectedSecret).HasMaxLength(1024);
    }
}
