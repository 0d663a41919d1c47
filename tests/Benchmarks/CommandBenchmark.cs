using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Benchmarks;

/// <summary>
/// Targeted commands against the real portal (SQLite file, in-process broker) with N connected devices in separate
/// load processes (<see cref="CommandLoad"/>): first commands queued one device at a time at a fixed rate, timed
/// from the queueing call to the committed result; then commands queued for devices while they are offline, timed
/// from their reconnect to the last result. Usage:
/// <c>dotnet run -c Release --project tests/Benchmarks -- commands [--devices N] [--rate R] [--seconds S]
/// [--offline M] [--per-call K] [--queuers Q]</c> (docs/benchmarks.md).
/// </summary>
internal static class CommandBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var devices = Arg(args, "--devices", 19_500);
        var rate = Arg(args, "--rate", 2_000);
        var seconds = Arg(args, "--seconds", 30);
        var offline = Math.Min(devices, Arg(args, "--offline", 10_000));
        var perCall = Arg(args, "--per-call", 1);
        var queuers = Arg(args, "--queuers", 8);
        const int loaders = 2;
        var work = Directory.CreateTempSubdirectory("fleet-command-bench-").FullName;
        Console.WriteLine($"Command benchmark: {devices} devices, {rate} commands/s for {seconds} s "
            + $"({perCall} per call, "
            + $"{queuers} callers), then {offline} queued while offline; {Environment.ProcessorCount} cores");

        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "600",
            ["Fleet:Mqtt:IngestBatchSize"] = "1000",
            ["Fleet:Mqtt:ReservedDescriptors"] = "300",
        });
        var ids = await HealthBenchmark.SeedAsync(portal, devices, "cmd");
        await using (var db = await portal.CreateDbAsync())
        {
            await db.Devices.ExecuteUpdateAsync(s => s.SetProperty(d => d.IsOnline, false));
        }

        var service = portal.Services.GetRequiredService<CommandService>();
        var queuedAt = new ConcurrentDictionary<Guid, long>();
        var latencies = new ConcurrentBag<double>();
        long lastDone = 0, succeeded = 0;
        portal.Services.GetRequiredService<CommandNotifier>().Changed += changes =>
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var change in changes.Where(c => c.State == CommandState.Succeeded))
            {
                if (queuedAt.TryRemove(change.CommandId, out var at))
                {
                    latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalMilliseconds);
                    Interlocked.Increment(ref succeeded);
                    Interlocked.Exchange(ref lastDone, now);
                }
            }
        };

        // 1. Connected devices, commands at a fixed rate.
        var files = Enumerable.Range(0, loaders).Select(i => Path.Combine(work, $"ids-{i}.txt")).ToList();
        for (var i = 0; i < loaders; i++)
        {
            await File.WriteAllLinesAsync(files[i],
                ids.Where((_, n) => n % loaders == i).Select(id => $"{id:N} {HealthBenchmark.Secret}"));
        }

        var children = files.Select(f => StartLoad(portal.MqttPort, f)).ToList();
        foreach (var child in children)
        {
            Console.WriteLine($"  load process {child.Id}: {await ReadUntilAsync(child, "CONNECTED")}");
        }

        await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.Devices.CountAsync(d => d.IsOnline) == devices ? "all online" : null;
        }, TimeSpan.FromMinutes(5), "every device online");
        await Task.Delay(TimeSpan.FromSeconds(5));

        var self = Process.GetCurrentProcess();
        self.Refresh();
        var cpu0 = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var start = Stopwatch.GetTimestamp();
        long queued = 0;
        var total = (long)rate * seconds;
        var next = 0;
        var gate = new Lock();
        var refusedCalls = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, queuers), async (_, ct) =>
        {
            while (true)
            {
                List<Guid> batch;
                lock (gate)
                {
                    var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
                    if (queued >= total)
                    {
                        return;
                    }

                    if (queued + perCall > due)
                    {
                        batch = [];
                    }
                    else
                    {
                        batch = [.. Enumerable.Range(0, perCall).Select(k => ids[(next + k) % devices])];
                        next = (next + perCall) % devices;
                        queued += perCall;
                    }
                }

                if (batch.Count == 0)
                {
                    await Task.Delay(2, ct);
                    continue;
                }

                var at = Stopwatch.GetTimestamp();
                var result = await service.QueueAsync(batch, new CommandOrder(CommandKinds.Ping), Actor.System,
                    cancellationToken: ct);
                if (!result.Succeeded)
                {
                    Interlocked.Increment(ref refusedCalls);
                    continue;
                }

                foreach (var id in result.Value!)
                {
                    queuedAt.TryAdd(id, at);
                }
            }
        });
        var queueSeconds = clock.Elapsed.TotalSeconds;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Interlocked.Read(ref succeeded) < queued && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        self.Refresh();
        var cpu = self.TotalProcessorTime - cpu0;
        var span = Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastDone)).TotalSeconds;
        double[] sorted = [.. latencies.Order()];
        Console.WriteLine($"- Online: {queued} queued in {queueSeconds:0.0} s ({queued / queueSeconds:0}/s offered, "
            + $"{refusedCalls} calls refused); {Interlocked.Read(ref succeeded)} succeeded by {span:0.0} s = "
            + $"{Interlocked.Read(ref succeeded) / span:0} delivered and acknowledged/s");
        Console.WriteLine($"  queue-to-result p50 {HealthLoad.Percentile(sorted, 0.5):0.0} ms, "
            + $"p99 {HealthLoad.Percentile(sorted, 0.99):0.0} ms, max {(sorted.Length > 0 ? sorted[^1] : 0):0} ms; "
            + $"portal CPU {cpu.TotalSeconds:0.0} s = "
            + $"{cpu.TotalMilliseconds * 1000 / Math.Max(1, queued):0} µs per command");

        // 2. Devices go away; commands wait for them; they come back.
        foreach (var child in children)
        {
            await child.StandardInput.WriteLineAsync("stop");
            Console.WriteLine($"  load process {child.Id}: {await ReadUntilAsync(child, "RESULT")}");
            await child.WaitForExitAsync();
        }

        await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.Devices.CountAsync(d => d.IsOnline) == 0 ? "all offline" : null;
        }, TimeSpan.FromMinutes(5), "every device offline");
        var away = ids.Take(offline).ToList();
        var latest = Interlocked.Read(ref succeeded);
        var queuedClock = Stopwatch.StartNew();
        foreach (var chunk in away.Chunk(500))
        {
            var result = await service.QueueAsync(chunk, new CommandOrder(CommandKinds.Ping), Actor.System);
            foreach (var id in result.Value!)
            {
                queuedAt.TryAdd(id, 0);
            }
        }

        Console.WriteLine(
            $"- Offline: {offline} queued for offline devices in {queuedClock.Elapsed.TotalSeconds:0.0} s");
        var awayFile = Path.Combine(work, "away.txt");
        await File.WriteAllLinesAsync(awayFile, away.Select(id => $"{id:N} {HealthBenchmark.Secret}"));
        var back = Stopwatch.StartNew();
        var returning = StartLoad(portal.MqttPort, awayFile);
        var connected = await ReadUntilAsync(returning, "CONNECTED");
        var connectedAt = back.Elapsed.TotalSeconds;
        deadline = DateTime.UtcNow.AddSeconds(120);
        while (Interlocked.Read(ref succeeded) - latest < offline && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var allDone = back.Elapsed.TotalSeconds;
        await returning.StandardInput.WriteLineAsync("stop");
        Console.WriteLine($"  reconnect: {connected} (all connected after {connectedAt:0.0} s); "
            + $"{Interlocked.Read(ref succeeded) - latest} of {offline} delivered and acknowledged "
            + $"{allDone:0.0} s after "
            + $"the first reconnect ({allDone - connectedAt:0.0} s after the last)");
        await returning.WaitForExitAsync();
        return 0;
    }

    private static Process StartLoad(int port, string ids)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in HealthBenchmark.Self().Concat(
            ["command-load", "--port", port.ToString(CultureInfo.InvariantCulture), "--ids", ids]))
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static async Task<string> ReadUntilAsync(Process child, string prefix)
    {
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return "(ended)";
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value)
            && value > 0 ? value : fallback;
    }
}
