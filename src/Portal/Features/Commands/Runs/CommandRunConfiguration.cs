using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>How <see cref="CommandRun"/> is stored: found by state (the runner's Running runs) and by start.
/// </summary>
internal sealed class CommandRunConfiguration : IEntityTypeConfiguration<CommandRun>
{
    public void Configure(EntityTypeBuilder<CommandRun> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Kind).HasMaxLength(32);
        builder.Property(r => r.OrderJson).HasMaxLength(8192);
        builder.Property(r => r.Reason).HasMaxLength(CommandOrder.MaxReasonLength);
        builder.Property(r => r.StartedBy).HasMaxLength(256);
        builder.Property(r => r.Selection).HasMaxLength(CommandRun.MaxSelectionLength);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.PausedReason).HasMaxLength(1024);
        builder.HasIndex(r => r.State);
        builder.HasIndex(r => r.StartedAt);
    }
}
