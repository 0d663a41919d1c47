using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

internal static class DataServiceCollectionExtensions
{
    /// <summary>The database (SQLite file under the data directory) and the key ring beside it.</summary>
    public static WebApplicationBuilder AddFleetData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var dataDirectory = Path.GetFullPath(storage.DataDirectory, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(dataDirectory);
        builder.Services.AddSingleton(new FleetDataDirectory(dataDirectory));

        var connectionString = storage.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(dataDirectory, "fleet.db"),
                Cache = SqliteCacheMode.Private,
                DefaultTimeout = 30,
                Pooling = true,
            }.ToString();
        }

        // Pooled: a context is reset and reused instead of building EF Core's internal services for every instance (the
        // broker opens one per device connection, the ingest writer one per batch; without the pool that setup was an
        // eighth of the portal's allocations during enrolment).
        builder.Services.AddPooledDbContextFactory<FleetDbContext>(o => o
            .UseSqlite(connectionString)
            .AddInterceptors(new NodeUuidStamp()));   // NodeUuid follows MachineId on every save
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<FleetDbContext>>().CreateDbContext());
        builder.Services.AddDataProtection()
            .SetApplicationName("Fleet")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        builder.Services.AddSingleton<DataDirectoryLock>();
        builder.Services.AddSingleton<DatabaseInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseInitializer>());
        return builder;
    }
}
