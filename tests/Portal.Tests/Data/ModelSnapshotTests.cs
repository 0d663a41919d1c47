using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Fleet.Portal.Tests.Data;

/// <summary>
/// The model the code builds and the last migration's snapshot agree: a refactor of entity configurations that
/// changed the schema by accident fails here, as a new, non-empty migration would show.
/// </summary>
public sealed class ModelSnapshotTests
{
    [Fact]
    public void Model_ComparedWithLastMigrationSnapshot_NoPendingChanges()
    {
        // The portal's provider and model; the comparison reads no database.
        var options = new DbContextOptionsBuilder<FleetDbContext>().UseSqlite("Data Source=:memory:").Options;
        using var db = new FleetDbContext(options);

        Assert.False(db.Database.HasPendingModelChanges(), "the model differs from the last migration's snapshot: "
            + "add a migration (dotnet ef migrations add) or undo the accidental change");
    }

    [Fact]
    public void Snapshot_EntityNames_MatchTheModel()
    {
        // The comparison above sees tables only: a class moved to another namespace leaves a stale name in the
        // snapshot (Features.Telemetry.DeviceHealth once) that the next "migrations add" rewrites unasked.
        var options = new DbContextOptionsBuilder<FleetDbContext>().UseSqlite("Data Source=:memory:").Options;
        using var db = new FleetDbContext(options);

        var snapshot = db.GetService<IMigrationsAssembly>().ModelSnapshot!.Model.GetEntityTypes().Select(e => e.Name);
        var model = db.GetService<IDesignTimeModel>().Model.GetEntityTypes().Select(e => e.Name);
        Assert.Equal(model.Order(StringComparer.Ordinal), snapshot.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Model_WithOneMoreIndex_HasPendingChanges()
    {
        // The check above can fail: one index more than the snapshot is a pending change.
        var options = new DbContextOptionsBuilder<FleetDbContext>().UseSqlite("Data Source=:memory:")
            .ReplaceService<IModelCustomizer, ExtraIndexCustomizer>().Options;
        using var db = new FleetDbContext(options);

        Assert.True(db.Database.HasPendingModelChanges());
    }

    private sealed class ExtraIndexCustomizer(ModelCustomizerDependencies dependencies)
        : ModelCustomizer(dependencies)
    {
        public override void Customize(ModelBuilder modelBuilder, DbContext context)
        {
            base.Customize(modelBuilder, context);
            modelBuilder.Entity<Device>().HasIndex(d => d.Kernel);
        }
    }
}
