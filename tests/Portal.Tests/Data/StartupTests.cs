using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Data;

/// <summary>
/// Starts that follow a crash, a stop, a damaged file or another portal: they come up, or refuse clearly.
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Restart_DevicesOnlineAtStop_OfflineUntilTheyConnectAgain()
    {
        var data = Directory.CreateTempSubdirectory("fleet-restart-").FullName;
        string id, secret;
        TestMqttClient client;

        // The device stays connected while the portal stops (as in a crash, or a stop with devices online): the
        // database still says Online when the next start reads it.
        await using (var first = await PortalInstance.StartAsync(dataDirectory: data))
        {
            (id, secret) = await ApprovedDevice.EnrolAsync(first, "was-online");
            (client, _) = await TestMqttClient.ConnectAsync(first.MqttPort, id, id, secret);
            await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online),
                FleetJson.Default.DeviceStatus);
            Assert.True((await first.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!.IsOnline);
        }

        await client.DisposeAsync();

        await using var second = await PortalInstance.StartAsync(dataDirectory: data);

        Assert.False((await second.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!.IsOnline);
        await second.Logs.WaitForAsync(e => e.Message.Contains("1 devices were Online when the portal last stopped",
            StringComparison.Ordinal));
        var (again, code) = await TestMqttClient.ConnectAsync(second.MqttPort, id, id, secret);
        await using var __ = again;
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);
        await again.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online),
            FleetJson.Default.DeviceStatus);
        Assert.True((await second.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!.IsOnline);
    }

    [Fact]
    public async Task Start_AfterAStartKilledWhileMigrating_StaleLockRemovedAndPortalUp()
    {
        // What a kill during the first start leaves: a database holding EF Core's migration lock row and nothing else.
        var data = Directory.CreateTempSubdirectory("fleet-stale-lock-").FullName;
        await using (var connection = new SqliteConnection(
            $"Data Source={Path.Combine(data, "fleet.db")};Pooling=False"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText =
                "CREATE TABLE \"__EFMigrationsLock\" "
                + "(\"Id\" INTEGER NOT NULL CONSTRAINT \"PK___EFMigrationsLock\" PRIMARY KEY, "
                + "\"Timestamp\" TEXT NOT NULL);\n"
                + "INSERT INTO \"__EFMigrationsLock\" (\"Id\", \"Timestamp\") VALUES (1, '2026-12-06 03:00:00+00:00');";
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var portal = await PortalInstance.StartAsync(dataDirectory: data);

        await portal.Logs.WaitForAsync(e => e.Message.Contains("Removed a stale migration lock",
            StringComparison.Ordinal));
        await using var db = await portal.CreateDbAsync();
        Assert.True(await db.Users.AnyAsync(u => u.UserName == "admin", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Start_DamagedDatabase_RefusedNamingTheFileAndTheBackup()
    {
        var data = Directory.CreateTempSubdirectory("fleet-damaged-").FullName;
        await using (await PortalInstance.StartAsync(dataDirectory: data))
        {
        }

        SqliteConnection.ClearAllPools();
        var file = Path.Combine(data, "fleet.db");
        Overwrite(file, firstPage: 2, pages: 16);

        var refused = await Assert.ThrowsAsync<StartupRefusedException>(() =>
            PortalInstance.StartAsync(dataDirectory: data));

        Assert.Contains($"The database {file} is damaged", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Restore the last backup", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SecondPortalProcessOnTheSameDataDirectory_ExitsWith2AndOneLine()
    {
        var data = Directory.CreateTempSubdirectory("fleet-claimed-").FullName;
        await using var running = await PortalInstance.StartAsync(dataDirectory: data);
        var (exitCode, _, errors) = await PortalProcess.RunAsync(data, ["--urls", "http://127.0.0.1:0"]);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(
            $"Fleet portal refused to start: Another Fleet portal is using the data directory {data}",
            line,
            StringComparison.Ordinal);
    }

    /// <summary>
    /// Overwrites <paramref name="pages"/> pages of the file with random bytes, as a failing disk would.
    /// </summary>
    private static void Overwrite(string file, int firstPage, int pages)
    {
        var random = new Random(13);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        const int pageSize = 4096;
        Assert.True(stream.Length >= (firstPage + pages) * pageSize, $"only {stream.Length} bytes");
        var junk = new byte[pageSize];
        for (var page = firstPage; page < firstPage + pages; page++)
        {
            random.NextBytes(junk);
            stream.Position = (long)(page - 1) * pageSize;
            stream.Write(junk);
        }
    }
}
