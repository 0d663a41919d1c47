using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

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
}
