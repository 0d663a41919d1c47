using Fleet.Portal.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Fleet.Portal.Tests.Data;

/// <summary>The migration folding <c>ZincatiNodeUuid</c> into <c>NodeUuid</c> keeps every device's node id.</summary>
public sealed class NodeUuidMigrationTests
{
    private const string Before = "20261126102019_HealthTelemetry";

    [Fact]
    public async Task Migrate_TwoNodeUuidColumns_ComputedIdKeptInNodeUuid()
    {
        var cancel = TestContext.Current.CancellationToken;
        var file = Path.Combine(Directory.CreateTempSubdirectory("fleet-node-uuid-").FullName, "fleet.db");
        var options = new DbContextOptionsBuilder<FleetDbContext>()
            .UseSqlite($"Data Source={file};Pooling=False").Options;
        await using var db = new FleetDbContext(options);
        await db.GetService<IMigrator>().MigrateAsync(Before, cancel);
        var computed = new string('a', 32);
        var reported = new string('b', 32);
        await InsertDeviceAsync(db, "computed-only", zincati: computed, reported: null);
        await InsertDeviceAsync(db, "both", zincati: computed, reported: reported);
        await InsertDeviceAsync(db, "reported-only", zincati: null, reported: reported);
        await InsertDeviceAsync(db, "neither", zincati: null, reported: null);

        await db.Database.MigrateAsync(cancel);

        var ids = await db.Database.SqlQueryRaw<Row>("SELECT \"Hostname\", \"NodeUuid\" FROM \"Devices\"")
            .ToDictionaryAsync(r => r.Hostname, r => r.NodeUuid, cancel);
        Assert.Equal(computed, ids["computed-only"]);
        Assert.Equal(computed, ids["both"]);
        Assert.Equal(reported, ids["reported-only"]);
        Assert.Null(ids["neither"]);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(cancel));
    }

    /// <summary>A device row as the older schema held it: every NOT NULL column given a plain value.</summary>
    private static async Task InsertDeviceAsync(FleetDbContext db, string hostname, string? zincati, string? reported)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Id"] = Guid.NewGuid().ToString().ToUpperInvariant(),
            ["EnrollmentId"] = "enroll-" + hostname,
            ["Hostname"] = hostname,
            ["ZincatiNodeUuid"] = zincati,
            ["NodeUuid"] = reported,
        };
        await using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name, type FROM pragma_table_info('Devices') WHERE \"notnull\" = 1";
            await using var reader = await info.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.TryAdd(reader.GetString(0), reader.GetString(1) switch
                {
                    "INTEGER" => 0,
                    "REAL" => 0.0,
                    "BLOB" => Array.Empty<byte>(),
                    _ => "x",
                });
            }
        }

        await using var insert = connection.CreateCommand();
        var names = values.Keys.ToList();
        insert.CommandText = $"INSERT INTO \"Devices\" ({string.Join(", ", names.Select(n => $"\"{n}\""))}) "
            + $"VALUES ({string.Join(", ", names.Select((_, i) => $"$p{i}"))})";
        for (var i = 0; i < names.Count; i++)
        {
            insert.Parameters.AddWithValue($"$p{i}", values[names[i]] ?? DBNull.Value);
        }

        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
    }

    private sealed record Row(string Hostname, string? NodeUuid);
}
