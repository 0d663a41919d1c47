using Fleet.Portal.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Data;

/// <summary>
/// Runs before anything else starts (it is the first hosted service): claims the data directory, checks an
/// existing SQLite file (damage, a stale migration lock), applies migrations, switches SQLite to WAL so pages read
/// while ingest writes, marks every device offline until it connects again, and creates the roles and the first admin.
/// </summary>
internal sealed class DatabaseInitializer(
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    IPasswordGenerator passwords,
    DataDirectoryLock dataLock,
    IOptions<StorageOptions> storage,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public static readonly string[] Roles = ["Admin", "Operator", "HelpDesk"];

    public bool IsReady { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        dataLock.Acquire();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        if (db.Database.IsSqlite())
        {
            await SqliteStartup.CheckAsync(db, storage.Value.CheckIntegrityAtStart, logger, cancellationToken);
        }

        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (SqliteException ex) when (SqliteStartup.IsDamage(ex))
        {
            throw SqliteStartup.Damaged(db.Database.GetDbConnection().DataSource, ex.Message, ex);
        }

        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        // Presence is what the broker sees now, and it sees nobody yet: a device shown Online after a stop or a crash
        // would be a guess. Each one is Online again when its session comes back.
        var stale = await db.Devices.Where(d => d.IsOnline).ExecuteUpdateAsync(u => u.SetProperty(d => d.IsOnline,
            false), cancellationToken);
        if (stale > 0)
        {
            logger.LogInformation(
                "{Count} devices were Online when the portal last stopped; Offline until they connect again",
                stale);
        }

        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        await EnsureAdminAsync(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>());
        IsReady = true;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        dataLock.Dispose();
        return Task.CompletedTask;
    }

    private async Task EnsureAdminAsync(UserManager<IdentityUser> users)
    {
        if (await users.FindByNameAsync("admin") is not null)
        {
            return;
        }

        var password = configuration["FLEET_ADMIN_PASSWORD"];
        var generated = string.IsNullOrEmpty(password);
        if (generated)
        {
            password = passwords.Generate();
        }

        var admin = new IdentityUser { UserName = "admin", Email = "admin@localhost", EmailConfirmed = true };
        var result = await users.CreateAsync(admin, password!);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                "Could not create the admin user (is FLEET_ADMIN_PASSWORD long and varied enough?): "
                + string.Join("; ", result.Errors.Select(e => e.Description)));
        }

        await users.AddToRoleAsync(admin, "Admin");
        if (generated)
        {
            // Printed once: the next start finds the user and says nothing.
            logger.LogWarning("Created user 'admin' with password {Password} (shown once; set FLEET_ADMIN_PASSWORD to choose it)", password);
        }
        else
        {
            logger.LogInformation("Created user 'admin' with the password from FLEET_ADMIN_PASSWORD");
        }
    }
}
