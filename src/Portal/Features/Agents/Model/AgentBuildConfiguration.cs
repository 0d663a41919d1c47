using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Features.Agents;

/// <summary>How <see cref="AgentBuild"/> is stored.</summary>
internal sealed class AgentBuildConfiguration : IEntityTypeConfiguration<AgentBuild>
{
    public void Configure(EntityTypeBuilder<AgentBuild> builder)
    {
        builder.HasIndex(b => new { b.Version, b.Architecture }).IsUnique();
        builder.Property(b => b.Version).HasMaxLength(Protocol.MaxAgentVersionLength);
        builder.Property(b => b.Architecture).HasMaxLength(Protocol.MaxArchitectureLength);
        builder.Property(b => b.Sha512).HasMaxLength(128);
        builder.Property(b => b.Signature).HasMaxLength(128);
        builder.Property(b => b.AddedBy).HasMaxLength(256);
    }
}
