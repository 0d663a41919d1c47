using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Ingest;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Benchmarks;

/// <summary>
/// Health ingest at fleet scale: N connected devices sending R QoS 1 reports/s to the portal (load
/// from separate processes, so CPU and memory are the portal's), then the same load against
/// Mosquitto with a counting subscriber, then the device-list query over 100,000 rows.
/// </summary>
internal static class HealthBenchmark
{
    internal const string Secret = "benchmark-device-secret";

    public static async Task<int> RunAsync(string[] args)
    {
        var devices = Arg(args, "--devices", 18_000);
        var rate = Arg(args, "--rate", 5_000);
        var seconds = Arg(args, "--seconds", 60);
        var loaders = Arg(args, "--load-processes", 2);
        var listRows = Arg(args, "--list-rows", 100_000);
        var work = Directory.CreateTempSubdirectory("fleet-health-bench-").FullName;
        if (args.Contains("--list-only"))
        {
            await using var listPortal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
            await ListQueryAsync(listPortal, listRows);
            return 0;
        }

        Console.WriteLine($"Health benchmark: {devices} devices, {rate} reports/s for {seconds} s, {loaders} load processes, {Environment.ProcessorCount} cores");

        var latencies = new List<double>();
        var stages = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var collecting = false;
        using var listener = new MeterListener();
        var alertPasses = new List<double>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if ((instrument.Meter.Name == IngestMetrics.MeterName
                    && instrument.Name is "fleet.ingest.health.commit_latency" or IngestMetrics.BatchStageName)
                || (instrument.Meter.Name == AlertMetrics.MeterName && instrument.Name == AlertMetrics.EvaluationName))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (!Volatile.Read(ref collecting))
            {
                return;
            }

            if (instrument.Name == AlertMetrics.EvaluationName)
            {
                if (tags[0].Value as string == "report")
                {
                    lock (alertPasses)
                    {
                        alertPasses.Add(value);
                    }
                }

                return;
            }

            if (instrument.Name != IngestMetrics.BatchStageName)
            {
                lock (latencies)
                {
                    latencies.Add(value);
                }

                return;
            }

            var stage = tags[0].Value as string ?? "?";
            lock (stages)
            {
                (stages.TryGetValue(stage, out var list) ? list : stages[stage] = []).Add(value);
            }
        });
        listener.Start();

        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "600",
            ["Fleet:Mqtt:IngestBatchSize"] = "1000",

            // 19,500 devices under this machine's 20,000 open-file limit: the benchmark process holds nothing but the
            // portal, so it may keep back fewer descriptors than the 1,000 a production portal does.
            ["Fleet:Mqtt:ReservedDescriptors"] = "300",
        });
        // --tls: devices connect to the MQTTS port with client certificates, as agents do (Mosquitto gets TLS too).
        string[] tlsArgs = [];
        if (args.Contains("--tls"))
        {
            tlsArgs = ["--ca", Path.Combine(work, "ca.pem"), "--certs", Directory.CreateDirectory(Path.Combine(work,
                "certs")).FullName];
            await File.WriteAllTextAsync(tlsArgs[1], Authority(portal).ChainPem);
        }

        var ids = await SeedAsync(portal, devices, "bench", tlsArgs.Length > 0 ? tlsArgs[3] : null);
        await PushConfigsAsync(portal, devices);
        var files = Enumerable.Range(0, loaders).Select(i => Path.Combine(work, $"ids-{i}.txt")).ToList();
        for (var i = 0; i < loaders; i++)
        {
            await File.WriteAllLinesAsync(files[i], ids.Where((_, n) => n % loaders == i).Select(id => $"{id:N} {Secret}"));
        }

        var self = Process.GetCurrentProcess();
        GC.Collect();
        self.Refresh();
        var idleMemory = self.WorkingSet64;
        var idleHeap = GC.GetTotalMemory(true);

        // Portal run.
        (TimeSpan Paused, int Gen2) gcAtStart = default;
        var (portalLoad, portalCpu, connectedMemory, connectedHeap) = await RunLoadAsync(
            tlsArgs.Length > 0 ? portal.MqttTlsPort : portal.MqttPort, files, rate / loaders, seconds, work, "portal",
            measureCpu: () => { self.Refresh(); return self.TotalProcessorTime; },
            measureMemory: () => { GC.Collect(); self.Refresh(); return (self.WorkingSet64, GC.GetTotalMemory(true)); },
            onLoadStart: () =>
            {
                gcAtStart = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
                Volatile.Write(ref collecting, true);
            },
            tlsArgs);
        Volatile.Write(ref collecting, false);
        var gcPaused = GC.GetTotalPauseDuration() - gcAtStart.Paused;
        var gen2 = GC.CollectionCount(2) - gcAtStart.Gen2;
        await Task.Delay(2000); // the last batches commit
        var stored = await StoredAsync(portal);
        var ackedKeys = files.SelectMany((_, i) => File.ReadLines(Path.Combine(work, $"acked-portal-{i}.txt"))).ToList();
        var missing = ackedKeys.Count(k => !stored.Contains(k));
        double[] sorted;
        lock (latencies)
        {
            sorted = latencies.Order().ToArray();
        }

        Console.WriteLine($"- Portal: {portalLoad.Acked:0} of {portalLoad.Sent:0} reports acknowledged ({portalLoad.Failed:0} refused/failed) in {portalLoad.PublishSeconds:0.0} s publish + drain to {portalLoad.DrainSeconds:0.0} s: {portalLoad.Acked / portalLoad.DrainSeconds:0} acked/s");
        Console.WriteLine($"  stored rows {stored.Count}, acknowledged but missing {missing}");
        Console.WriteLine($"  receive-to-commit p50 {HealthLoad.Percentile(sorted, 0.5):0.0} ms, p99 {HealthLoad.Percentile(sorted, 0.99):0.0} ms ({sorted.Length} samples); publish-to-PUBACK p50 {portalLoad.P50:0.0} ms, p99 {portalLoad.P99:0.0} ms");
        lock (stages)
        {
            string Stage(string name)
            {
                if (!stages.TryGetValue(name, out var v) || v.Count == 0)
                {
                    return $"{name} -";
                }

                double[] ordered = [.. v.Order()];
                return $"{name} {HealthLoad.Percentile(ordered, 0.5):0.0}/{HealthLoad.Percentile(ordered, 0.99):0.0}"
                    + $"/{ordered[^1]:0} ms";
            }

            // The single writer's stages, and what the GC stopped it for: the receive-to-commit tail follows both.
            Console.WriteLine(
                $"  ingest writer: {(stages.TryGetValue("commit", out var c) ? c.Count : 0)} batches; per batch "
                + $"p50/p99/max: {Stage("apply")}, {Stage("commit")}, {Stage("finish")}; "
                + $"GC paused {gcPaused.TotalMilliseconds:0} ms, {gen2} gen2");
        }

        lock (alertPasses)
        {
            // Report-driven alert rules run after each commit, coalesced over the batches that committed meanwhile.
            Console.WriteLine($"  alert rules: {alertPasses.Count} passes, {alertPasses.Sum():0} ms in all = "
                + $"{alertPasses.Sum() * 1000 / Math.Max(1, portalLoad.Acked):0} µs per report");
        }

        Console.WriteLine($"  portal CPU {portalCpu.TotalSeconds:0.0} s over {portalLoad.DrainSeconds:0.0} s = {portalCpu.TotalSeconds / portalLoad.DrainSeconds:P0} of one core; {portalCpu.TotalMilliseconds * 1000 / Math.Max(1, portalLoad.Acked):0} µs CPU per report");
        Console.WriteLine($"  portal memory: idle {idleMemory / 1048576} MiB (heap {idleHeap / 1048576} MiB), {devices} connected {connectedMemory.WorkingSet / 1048576} MiB (heap {connectedMemory.Heap / 1048576} MiB): {(connectedMemory.WorkingSet - idleMemory) / devices / 1024.0:0.0} KiB per connected device ({(connectedMemory.Heap - idleHeap) / devices / 1024.0:0.0} KiB managed)");

        // --portal-only: an A/B run of two builds needs no second baseline.
        if (args.Contains("--portal-only"))
        {
            return 0;
        }

        // Mosquitto baseline: same devices, same load, a subscriber counting what it receives.
        var mosquittoPort = FreePort.Next();
        var config = Path.Combine(work, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {mosquittoPort} 127.0.0.1\nallow_anonymous true\n"
            + "max_connections -1\nmax_queued_messages 0\npersistence false\nlog_type error\n"
            + (tlsArgs.Length > 0 ? await MosquittoTlsAsync(portal, work) : string.Empty));
        using var mosquitto = Process.Start(new ProcessStartInfo("mosquitto", $"-c {config}") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await Task.Delay(1000);
        var subscriber = new MqttClientFactory().CreateMqttClient();
        long received = 0;
        subscriber.ApplicationMessageReceivedAsync += _ =>
        {
            Interlocked.Increment(ref received);
            return Task.CompletedTask;
        };
        var counter = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", mosquittoPort)
            .WithClientId("bench-counter");
        if (tlsArgs.Length > 0)
        {
            counter.WithTlsOptions(TestTls.Client(Authority(portal).Chain));
        }

        await subscriber.ConnectAsync(counter.Build());
        await subscriber.SubscribeAsync("fleet/devices/+/health", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        mosquitto.Refresh();
        var mosquittoIdle = mosquitto.WorkingSet64;
        var (mosquittoLoad, mosquittoCpu, mosquittoMemory, _) = await RunLoadAsync(mosquittoPort, files, rate / loaders, seconds, work, "mosquitto",
            measureCpu: () => { mosquitto.Refresh(); return mosquitto.TotalProcessorTime; },
            measureMemory: () => { mosquitto.Refresh(); return (mosquitto.WorkingSet64, 0L); },
            onLoadStart: () => { },
            tlsArgs);
        await Task.Delay(2000);
        Console.WriteLine($"- Mosquitto {MosquittoVersion()}: {mosquittoLoad.Acked:0} of {mosquittoLoad.Sent:0} acknowledged, subscriber received {Interlocked.Read(ref received)}; publish-to-PUBACK p50 {mosquittoLoad.P50:0.0} ms, p99 {mosquittoLoad.P99:0.0} ms");
        Console.WriteLine($"  mosquitto CPU {mosquittoCpu.TotalSeconds:0.0} s over {mosquittoLoad.DrainSeconds:0.0} s = {mosquittoCpu.TotalSeconds / mosquittoLoad.DrainSeconds:P0} of one core; memory {mosquittoIdle / 1048576} MiB idle, {mosquittoMemory.WorkingSet / 1048576} MiB connected ({(mosquittoMemory.WorkingSet - mosquittoIdle) / devices / 1024.0:0.0} KiB per device)");
        Console.WriteLine($"- Ratio portal/mosquitto: CPU per report {portalCpu.TotalSeconds / Math.Max(1, portalLoad.Acked) / (mosquittoCpu.TotalSeconds / Math.Max(1, mosquittoLoad.Acked)):0.0}x, PUBACK p99 {portalLoad.P99 / mosquittoLoad.P99:0.0}x, memory per device {(double)(connectedMemory.WorkingSet - idleMemory) / Math.Max(1, mosquittoMemory.WorkingSet - mosquittoIdle):0.0}x");
        await subscriber.DisconnectAsync();
        mosquitto.Kill();

        await ListQueryAsync(portal, listRows);
        return 0;
    }

    private sealed record LoadResult(double Sent, double Acked, double Failed, double PublishSeconds, double DrainSeconds, double P50, double P99);

    private static async Task<(LoadResult Load, TimeSpan Cpu, (long WorkingSet, long Heap) Connected, int Unused)> RunLoadAsync(
        int port, List<string> files, int ratePerProcess, int seconds, string work, string name,
        Func<TimeSpan> measureCpu, Func<(long, long)> measureMemory, Action onLoadStart, string[] tlsArgs)
    {
        var children = files.Select((file, i) =>
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            foreach (var arg in Self().Concat([
                "health-load", "--port", port.ToString(CultureInfo.InvariantCulture), "--ids", file,
                "--rate", ratePerProcess.ToString(CultureInfo.InvariantCulture),
                "--seconds", seconds.ToString(CultureInfo.InvariantCulture),
                "--acked", Path.Combine(work, $"acked-{name}-{i}.txt"), .. tlsArgs]))
            {
                start.ArgumentList.Add(arg);
            }

            return Process.Start(start)!;
        }).ToList();
        foreach (var child in children)
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("CONNECTED", StringComparison.Ordinal))
                {
                    Console.WriteLine($"  [{name}] load process {child.Id}: {line}");
                    break;
                }
            }
        }

        var memory = measureMemory();
        var cpu0 = measureCpu();
        onLoadStart();
        var results = new List<Dictionary<string, double>>();
        foreach (var child in children)
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                {
                    results.Add(JsonSerializer.Deserialize<Dictionary<string, double>>(line[7..])!);
                    break;
                }
            }
        }

        var cpu = measureCpu() - cpu0;
        foreach (var child in children)
        {
            await child.WaitForExitAsync();
            child.Dispose();
        }

        var load = new LoadResult(results.Sum(r => r["sent"]), results.Sum(r => r["acked"]), results.Sum(r => r["failed"]),
            results.Max(r => r["publishSeconds"]), results.Max(r => r["drainSeconds"]), results.Max(r => r["p50"]), results.Max(r => r["p99"]));
        return (load, cpu, memory, 0);
    }

    /// <summary>The device-list queries over <paramref name="rows"/> devices: the page's offset query and the keyset one, with filters.</summary>
    private static async Task ListQueryAsync(PortalInstance portal, int rows)
    {
        await using (var db = await portal.CreateDbAsync())
        {
            var have = await db.Devices.CountAsync();
            if (have < rows)
            {
                await SeedAsync(portal, rows - have, "list");
            }
        }

        var service = portal.Devices;
        DeviceCursor? cursor = null;
        for (var i = 0; i < 100; i++)
        {
            cursor = (await service.ListAfterAsync(new DeviceQuery(), cursor, 500)).Next; // 50,000 rows in
        }

        var cases = new (string Name, Func<Task> Run)[]
        {
            ("page 1, offset + COUNT (Devices page: first page, or a jump)", () => service.ListAsync(new DeviceQuery())),
            ("page 1,000, offset + COUNT", () => service.ListAsync(new DeviceQuery(Skip: 50_000))),
            ("page 1,001 after page 1,000 (Devices page paging on: keyset + COUNT)", () => service.ListAfterAsync(new DeviceQuery(Skip: 50_000), cursor!.Value)),
            ("keyset page 1", () => service.ListAfterAsync(new DeviceQuery(), null, 50)),
            ("keyset page after 50,000 rows", () => service.ListAfterAsync(new DeviceQuery(), cursor, 50)),
            ("keyset, status Online", () => service.ListAfterAsync(new DeviceQuery(Status: DeviceStatusFilter.Online), null, 50)),
            ("keyset, status Offline", () => service.ListAfterAsync(new DeviceQuery(Status: DeviceStatusFilter.Offline), null, 50)),
            ("keyset, search hostname", () => service.ListAfterAsync(new DeviceQuery(Search: "list-77777"), null, 50)),
            ("keyset, search MAC", () => service.ListAfterAsync(new DeviceQuery(Search: "02:00:00:01:2f:ff"), null, 50)),
        };
        Console.WriteLine($"- Device list over {await CountAsync(portal)} rows (200 runs each, after 20 warm-up):");
        foreach (var (name, run) in cases)
        {
            for (var i = 0; i < 20; i++)
            {
                await run();
            }

            var times = new double[200];
            for (var i = 0; i < times.Length; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await run();
                times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            Array.Sort(times);
            Console.WriteLine($"  {name}: p50 {HealthLoad.Percentile(times, 0.5):0.0} ms, p95 {HealthLoad.Percentile(times, 0.95):0.0} ms");
        }
    }

    /// <summary>
    /// The devices went straight into the database, so the portal has not yet rendered and published their
    /// configs as it does at approval or start-up. Do it now, timed, so the load meets the steady state
    /// (each connecting device finds its config unchanged) rather than a first-render storm.
    /// </summary>
    private static async Task PushConfigsAsync(PortalInstance portal, int devices)
    {
        var pusher = portal.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Fleet.Portal.Features.Configs.ConfigPusher>().Single();
        var started = Stopwatch.GetTimestamp();
        portal.Services.GetRequiredService<Fleet.Portal.Features.Configs.ConfigNotifier>().Notify();
        while (pusher.DevicesPushed < devices)
        {
            await Task.Delay(200);
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"  config pass: {devices} devices rendered and published in {elapsed:0.0} s ({devices / elapsed:0}/s)");
    }

    private static async Task<int> CountAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.Devices.CountAsync();
    }

    private static PortalCertificateAuthority Authority(PortalInstance portal) =>
        portal.Services.GetRequiredService<PortalCertificateAuthority>();

    /// <summary>
    /// Mosquitto's TLS lines: a server certificate of the portal CA for 127.0.0.1, client certificates asked.
    /// </summary>
    private static async Task<string> MosquittoTlsAsync(PortalInstance portal, string work)
    {
        using var server = Authority(portal).IssueServerCertificate(["127.0.0.1"], TimeSpan.FromDays(1));
        var (certificate, key) = (Path.Combine(work, "mosquitto.crt"), Path.Combine(work, "mosquitto.key"));
        await File.WriteAllTextAsync(certificate, server.ExportCertificatePem() + "\n" + Authority(portal).ChainPem);
        using var serverKey = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions
            .GetECDsaPrivateKey(server)!;
        await File.WriteAllTextAsync(key, serverKey.ExportPkcs8PrivateKeyPem());
        // Started as root, Mosquitto would read them as its own user, which may not enter the 0700 work folder.
        return $"cafile {Path.Combine(work, "ca.pem")}\ncertfile {certificate}\nkeyfile {key}\n"
            + "require_certificate false\n"
            + "user root\n";
    }

    /// <param name="certificates">With --tls: the folder that gets each device's client certificate and key.</param>
    internal static async Task<List<Guid>> SeedAsync(PortalInstance portal, int count, string prefix,
        string? certificates = null)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Secret));
        var ids = new List<Guid>(count);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var offset = 0;
        await using (var probe = await portal.CreateDbAsync())
        {
            offset = await probe.Devices.CountAsync();
        }

        for (var done = 0; done < count; done += 5000)
        {
            await using var db = await portal.CreateDbAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = done; i < Math.Min(count, done + 5000); i++)
            {
                var n = offset + i;
                var id = Guid.NewGuid();
                var mac = $"02:00:00:{(n >> 16) & 0xff:x2}:{(n >> 8) & 0xff:x2}:{n & 0xff:x2}";
                ids.Add(id);
                var device = new Device
                {
                    Id = id,
                    EnrollmentId = $"enroll-{id:N}",
                    State = EnrollmentState.Approved,
                    MachineId = id.ToString("N"),
                    Hostname = $"{prefix}-{n}",
                    Architecture = n % 5 == 0 ? "aarch64" : "x86_64",
                    Kernel = "6.11.0-200.fc41.x86_64",
                    OsName = "Fedora CoreOS 41",
                    OsReleaseJson = "{}",
                    PrimaryMac = mac,
                    AgentVersion = "bench",
                    CredentialHash = hash,
                    FirstSeenAt = start.AddSeconds(n),
                    LastRequestAt = start.AddSeconds(n),
                    IsOnline = n % 3 != 0,
                    LastSeenAt = start.AddSeconds(n),
                };
                device.Macs.Add(new DeviceMac { DeviceId = id, Mac = mac, InterfaceName = "eth0", IsPrimary = true });
                if (certificates is not null)
                {
                    using var key = System.Security.Cryptography.ECDsa.Create(
                        System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
                    using var issued = Authority(portal).IssueDeviceCertificate(
                        new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=bench", key,
                            System.Security.Cryptography.HashAlgorithmName.SHA256),
                        id.ToString("N"),
                        TimeSpan.FromDays(1));
                    DeviceCredentials.SetCurrent(device, IssuedCertificate.Of(issued));
                    await File.WriteAllTextAsync(Path.Combine(certificates, $"{id:N}.pem"),
                        issued.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
                }

                db.Devices.Add(device);
            }

            await db.SaveChangesAsync();
        }

        return ids;
    }

    private static async Task<HashSet<string>> StoredAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        var rows = await db.HealthSamples.AsNoTracking().Select(s => new { s.DeviceId, s.Sequence }).ToListAsync();
        return rows.Select(r => $"{r.DeviceId:N} {r.Sequence}").ToHashSet();
    }

    internal static IEnumerable<string> Self()
    {
        // Under `dotnet Fleet.Benchmarks.dll` the process is dotnet itself; under the apphost it is the program.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            yield return typeof(HealthBenchmark).Assembly.Location;
        }
    }

    private static string MosquittoVersion()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("mosquitto", "-h") { RedirectStandardOutput = true })!;
            var first = p.StandardOutput.ReadLine() ?? string.Empty;
            p.WaitForExit();
            return first.Replace("mosquitto version ", string.Empty, StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "(version unknown)";
        }
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
    }
}
