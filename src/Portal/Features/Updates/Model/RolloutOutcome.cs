using Fleet.Portal.Data;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Updates;

/// <summary>The latest report of one device on one release version: did the update to it work?</summary>
public sealed class RolloutOutcome
{
    public long Id { get; set; }

    public required string ReleaseVersion { get; set; }

    public Guid DeviceId { get; set; }

    public bool Succeeded { get; set; }

    public DateTimeOffset At { get; set; }
}

internal sealed class RolloutOutcomeConfiguration : IEntityTypeConfiguration<RolloutOutcome>
{
    public void Configure(EntityTypeBuilder<RolloutOutcome> builder)
    {
        builder.HasIndex(o => new { o.ReleaseVersion, o.DeviceId }).IsUnique();
        builder.Property(o => o.ReleaseVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(o => o.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
