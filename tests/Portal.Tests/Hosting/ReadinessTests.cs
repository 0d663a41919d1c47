using System.Diagnostics;
using System.Net;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Hosting;

/// <summary>
/// <c>/readyz</c> says whether the portal can store what devices send: a held write lock, a full disk.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_WriteLockHeldElsewhere_UnhealthyThenHealthyWhenReleased()
    {
        await using var portal = await PortalInstance.StartAsync();
        // The health check service logs each Unhealthy result as an Error; the held lock is the fault provoked.
        portal.ExpectErrors("database is locked");
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        await WaitForReadyzAsync(http, HttpStatusCode.OK);

        await using (var holder = new SqliteConnection(
            $"Data Source={Path.Combine(portal.DataDirectory, "fleet.db")};Pooling=False"))
        {
            await holder.OpenAsync(TestContext.Current.CancellationToken);
            await using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

            var body = await WaitForReadyzAsync(http, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("Unhealthy", body, StringComparison.Ordinal);
            await portal.Logs.WaitForAsync(e => e.Message.Contains("Not ready: database cannot be written",
                StringComparison.Ordinal));
        }

        await WaitForReadyzAsync(http, HttpStatusCode.OK);
        await portal.Logs.WaitForAsync(e => e.Message.Contains("Ready again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readyz_DataDiskFull_UnhealthyStoresNothingLogsBoundedThenHealthy()
    {
        Assert.SkipUnless(Environment.UserName == "root",
            "mounts a small tmpfs for the data directory: needs root (CI runs as root)");
        var data = Directory.CreateTempSubdirectory("fleet-full-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", data);
        try
        {
            await using var portal = await PortalInstance.StartAsync(
                new Dictionary<string, string?> { ["Fleet:Storage:MinFreeDiskMegabytes"] = "8" }, dataDirectory: data);

            // The full disk is the fault provoked: the readiness check, EF's failed commits (each an Error) and the
            // ingest pipeline's bounded "could not be stored" report it.
            portal.ExpectErrors("MiB free on the data directory");
            portal.ExpectErrors("database or disk is full");
            // EF's "An error occurred using a transaction." carries no exception to match on.
            portal.ExpectErrors(e => e.Category == "Microsoft.EntityFrameworkCore.Database.Transaction");
            // A background pass that writes while the disk is full (health retention, when its interval falls then)
            // fails with SQLite's FULL, or IOERR when the journal cannot grow; it retries at its next interval.
            portal.ExpectErrors(e => FullDisk(e.Exception));
            portal.ExpectErrors(e => e.Message.StartsWith("Health retention run failed", StringComparison.Ordinal));
            using var http = new HttpClient { BaseAddress = portal.BaseAddress };
            var (id, client) = await ApprovedDevice.ConnectAsync(portal, "on-a-full-disk");
            await using var _ = client;
            await WaitForReadyzAsync(http, HttpStatusCode.OK);

            var filler = Path.Combine(data, "filler");
            Fill(filler);
            await WaitForReadyzAsync(http, HttpStatusCode.ServiceUnavailable);
            var codes = new List<MqttClientPublishReasonCode>();
            for (var i = 0; i < 20; i++)
            {
                codes.Add(await client.PublishAsync(Topics.Heartbeat(id), new Heartbeat(i, DateTimeOffset.UtcNow,
                    10 + i, 0.1, 0.1, 0.1), FleetJson.Default.Heartbeat));
            }

            File.Delete(filler);
            await WaitForReadyzAsync(http, HttpStatusCode.OK);

            // Every acknowledged heartbeat is stored, whatever was refused; the log says so a few times, not per
            // message.
            await using var db = await portal.CreateDbAsync();
            var deviceId = Guid.ParseExact(id, "N");
            var stored = await db.Heartbeats.CountAsync(h => h.DeviceId == deviceId && h.Sequence < 20,
                TestContext.Current.CancellationToken);
            Assert.Equal(codes.Count(c => c == MqttClientPublishReasonCode.Success), stored);
            var failures = portal.Logs.Entries.Count(e => e.Message.Contains("could not be stored",
                StringComparison.Ordinal));
            Assert.InRange(failures, 0, 6);
        }
        finally
        {
            Run("umount", "-l", data);
        }
    }

    private static bool FullDisk(Exception? exception) => exception switch
    {
        null => false,
        SqliteException { SqliteErrorCode: 13 or 10 } => true,   // SQLITE_FULL, SQLITE_IOERR
        _ => FullDisk(exception.InnerException),
    };

    /// <summary>
    /// Polls <c>/readyz</c> until it answers <paramref name="expected"/> (it recomputes at most every 2 s); returns the
    /// body.
    /// </summary>
    private static async Task<string> WaitForReadyzAsync(HttpClient http, HttpStatusCode expected)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
            if (response.StatusCode == expected)
            {
                return await response.Content.ReadAsStringAsync(timeout.Token);
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    /// <summary>Writes zeros to <paramref name="path"/> until the file system is full.</summary>
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        var block = new byte[1 << 20];
        try
        {
            while (true)
            {
                stream.Write(block);
                stream.Flush();
            }
        }
        catch (IOException)
        {
            // full
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }
}
