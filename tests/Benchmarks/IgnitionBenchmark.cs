using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// <c>GET /ignition</c> serving: N approved devices with a fleet default, a group config and a per-device
/// variable; C concurrent HttpClient workers fetch random devices' configs over loopback for T seconds.
/// Then a config change is made and the next fetch must show it (cache invalidation), and the cold rate
/// (every device rendered again) is measured.
/// Usage: dotnet run -c Release --project tests/Benchmarks -- ignition [--devices N] [--seconds T] [--concurrency C]
/// </summary>
internal static class IgnitionBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var devices = Arg(args, "--devices", 1000);
        var seconds = Arg(args, "--seconds", 20);
        var concurrency = Arg(args, "--concurrency", 32);
        // Every client is 127.0.0.1: lift the per-address allowance, which would otherwise answer most requests 429.
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Configs:AnonymousRequestBurst"] = "1000000",
            ["Fleet:Configs:AnonymousRequestsPerMinute"] = "6000000",
        });
        Console.WriteLine($"Ignition serving benchmark: {devices} devices, {concurrency} concurrent clients, {seconds} s, {Environment.ProcessorCount} cores");

        var macs = await SeedAsync(portal, devices);
        var configs = portal.Services.GetRequiredService<ConfigService>();
        var fleetInput = new ConfigInput("bench-fleet", ConfigSourceLanguage.Butane, null,
            Butane("/etc/motd", "fleet {{device.hostname}}"), "bench");
        var fleet = (await configs.CreateAsync(fleetInput, TestActors.Operator)).Value!.ConfigId;
        var groupInput = new ConfigInput("bench-group", ConfigSourceLanguage.Butane, null,
            Butane("/etc/site", "site {{vars.site}} in {{device.group}}"), "bench");
        var group = (await configs.CreateAsync(groupInput, TestActors.Operator)).Value!.ConfigId;
        await configs.AssignAsync(fleet, ConfigScope.Fleet, null, null, TestActors.Operator);
        await configs.AssignAsync(group, ConfigScope.Group, Fleet.Portal.Features.Updates.DeviceGroup.DefaultId, null, TestActors.Operator);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = portal.BaseAddress };

        var cold = await MeasureAsync(client, macs, concurrency, TimeSpan.FromSeconds(seconds), coldPass: true);
        Print("cold (each device rendered once, then cached)", cold);
        var warm = await MeasureAsync(client, macs, concurrency, TimeSpan.FromSeconds(seconds), coldPass: false);
        Print("warm (random devices, cached)", warm);

        await configs.SaveVersionAsync(fleet, Butane("/etc/motd", "fleet v2 {{device.hostname}}"), "bench v2", TestActors.Operator);
        var body = await client.GetStringAsync($"/ignition?mac={macs[0]}");
        Console.WriteLine($"  invalidation after a config save: {(body.Contains("fleet%20v2", StringComparison.Ordinal) ? "new version served" : "STALE CONFIG SERVED")}");
        var afterChange = await MeasureAsync(client, macs, concurrency, TimeSpan.FromSeconds(seconds), coldPass: true);
        Print("after the change (every device rendered again)", afterChange);
    }

    private static async Task<List<string>> SeedAsync(PortalInstance portal, int count)
    {
        await using var db = await portal.CreateDbAsync();
        var macs = new List<string>(count);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            var mac = string.Create(CultureInfo.InvariantCulture, $"52:54:00:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}");
            var device = new Device
            {
                Id = id, EnrollmentId = "bench-" + i.ToString(CultureInfo.InvariantCulture), State = EnrollmentState.Approved, MachineId = id.ToString("N"),
                Hostname = "bench-" + i.ToString(CultureInfo.InvariantCulture), Architecture = "x86_64", Kernel = "6.1", OsName = "Fedora CoreOS", OsReleaseJson = "{}",
                PrimaryMac = mac, AgentVersion = "1", FirstSeenAt = now,
            };
            device.Macs.Add(new DeviceMac { Mac = mac, InterfaceName = "eth0", IsPrimary = true });
            db.Devices.Add(device);
            db.DeviceVariables.Add(new DeviceVariable { DeviceId = id, Name = "site", Value = "site-" + (i % 10).ToString(CultureInfo.InvariantCulture), UpdatedAt = now });
            macs.Add(mac);
        }

        await db.SaveChangesAsync();
        return macs;
    }

    private static async Task<(long Requests, double Seconds, double[] LatenciesMs, int Errors)> MeasureAsync(HttpClient client, List<string> macs, int concurrency, TimeSpan duration, bool coldPass)
    {
        var latencies = new List<double>[concurrency];
        var errors = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            var random = new Random(w);
            while (true)
            {
                string mac;
                if (coldPass)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= macs.Count)
                    {
                        return;
                    }

                    mac = macs[index];
                }
                else
                {
                    if (clock.Elapsed >= duration)
                    {
                        return;
                    }

                    mac = macs[random.Next(macs.Count)];
                }

                var start = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync($"/ignition?mac={mac}", HttpCompletionOption.ResponseContentRead);
                _ = await response.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return (all.Length, clock.Elapsed.TotalSeconds, all, errors);
    }

    private static void Print(string what, (long Requests, double Seconds, double[] LatenciesMs, int Errors) r)
    {
        double P(double q) => r.LatenciesMs.Length == 0 ? 0 : r.LatenciesMs[Math.Min(r.LatenciesMs.Length - 1, (int)(q * r.LatenciesMs.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: {r.Requests} configs in {r.Seconds:0.0} s = {r.Requests / r.Seconds:0} configs/s; latency p50 {P(0.50):0.00} ms, p99 {P(0.99):0.00} ms, max {r.LatenciesMs.LastOrDefault():0.0} ms; non-200: {r.Errors}"));
    }

    private static string Butane(string path, string contents) =>
        $"variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: {path}\n      contents:\n        inline: \"{contents}\"\n";

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
