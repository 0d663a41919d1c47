using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Data;

/// <summary>
/// What the start-up checks on an existing SQLite file before migrating: that it is not damaged (a damaged file was
/// accepted and written to), and that no migration lock row is left from a start that was killed while migrating
/// (EF Core waits for such a row for ever: the next start hung, printing nothing).
/// </summary>
internal static class SqliteStartup
{
    private const int Corrupt = 11;     // SQLITE_CORRUPT
    private const int NotADatabase = 26; // SQLITE_NOTADB

    /// <summary>
    /// Checks the file behind <paramref name="db"/> if it exists; throws <see cref="StartupRefusedException"/> if
    /// damaged.
    /// </summary>
    public static async Task CheckAsync(FleetDbContext db, bool checkIntegrity, ILogger logger,
        CancellationToken cancellationToken)
    {
        var path = db.Database.GetDbConnection().DataSource;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return;   // first start: nothing to check
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (checkIntegrity && await QuickCheckAsync(db, cancellationToken) is { } problem)
            {
                throw Damaged(path, problem, null);
            }

            var hasLockTable = await db.Database
                .SqlQueryRaw<int>(
                    "SELECT count(*) AS \"Value\" FROM sqlite_master "
                    + "WHERE type = 'table' AND name = '__EFMigrationsLock'")
                .SingleAsync(cancellationToken) > 0;
            if (hasLockTable && await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsLock\"",
                cancellationToken) > 0)
            {
                logger.LogWarning(
                    "Removed a stale migration lock from {Path}: an earlier start ended while migrating. "
                    + "This portal holds the data directory's lock, so no other one is migrating.", path);
            }
        }
        catch (SqliteException ex) when (IsDamage(ex))
        {
            throw Damaged(path, ex.Message, ex);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Whether <paramref name="ex"/> says the file is damaged or not a database at all.</summary>
    public static bool IsDamage(SqliteException ex) => ex.SqliteErrorCode is Corrupt or NotADatabase;

    public static StartupRefusedException Damaged(string path, string problem, Exception? inner) => new(
        $"The database {path} is damaged ({problem}); the portal will not start on it. Restore the last backup "
        + "(docs/operations.md, \"Backup and restore\") or move the file away to start with an empty one.", inner);

    /// <summary>The first problem <c>PRAGMA quick_check</c> reports; null when it says "ok".</summary>
    private static async Task<string?> QuickCheckAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQueryRaw<string>("PRAGMA quick_check(5)").ToListAsync(cancellationToken);
        return rows is ["ok"] ? null : string.Join("; ", rows);
    }
}
