using System.Diagnostics;
using System.Globalization;
using Fleet.DeviceAgent;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

// Enrolment and heartbeat load against the real portal (SQLite file, in-process broker) with the
// simulator's devices (the agent's own DeviceRuntime) in the same process, over loopback TCP.
// Usage: dotnet run -c Release --project tests/Benchmarks -- [--devices N] [--heartbeat-seconds S] [--soak-seconds T]
// Ignition serving: dotnet run -c Release --project tests/Benchmarks -- ignition [--devices N] [--seconds T] [--concurrency C]
if (args.FirstOrDefault() == "ignition")
{
    await IgnitionBenchmark.RunAsync(args);
    return 0;
}

if (args.Contains("--tpm"))
{
    await TpmBenchmark.RunAsync(args);
    return 0;
}

// Token-policy enrolment: dotnet run -c Release --project tests/Benchmarks -- --token-enrolment [--devices N]
// [--rate R] [--warmup W] [--rounds K] [--agent-defaults] [--tls] [--set Fleet:Mqtt:Option=value ...]: --agent-defaults
// runs the agents with their own keep-alive and timeouts (60 s and 30 s otherwise); --tls runs them over MQTTS with the
// portal CA, a key each and a certificate request, as agents do (plain MQTT otherwise); --set overrides a portal
// option.
if (args.Contains("--token-enrolment"))
{
    // dotnet run -c Release --project tests/Benchmarks -- --token-enrolment --devices 3000 --rate 600
    var settings = args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length)
        .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : string.Empty);
    return await Fleet.Benchmarks.TokenEnrolmentBenchmark.RunAsync(
        Arg("--devices", 3000),
        Arg("--rate", 600),
        Arg("--warmup", 0),
        Arg("--rounds", 1),
        settings,
        args.Contains("--agent-defaults"),
        args.Contains("--tls"));
}

// Health ingest: dotnet run -c Release --project tests/Benchmarks -- health [--devices N] [--rate R] [--seconds S]
// [--tls] (docs/benchmarks.md); --tls: devices on the MQTTS port with client certificates, Mosquitto with TLS too.
if (args.Length > 0 && args[0] == "health")
{
    return await Fleet.Benchmarks.HealthBenchmark.RunAsync(args);
}

// Native agent footprint: dotnet run -c Release --project tests/Benchmarks -- agent-footprint --agent PATH
// [--arch x86_64|aarch64] [--minutes M] [--health-seconds S] (docs/benchmarks.md)
if (args.Length > 0 && args[0] == "agent-footprint")
{
    return await Fleet.Benchmarks.AgentFootprintBenchmark.RunAsync(args);
}

if (args.Length > 0 && args[0] == "enrol-load")
{
    return await Fleet.Benchmarks.TokenEnrolmentLoad.RunAsync(args);
}

// Commands: dotnet run -c Release --project tests/Benchmarks -- commands [--devices N] [--rate R] [--seconds S]
// [--offline M] [--per-call K] [--queuers Q] (docs/benchmarks.md)
if (args.Length > 0 && args[0] == "commands")
{
    return await Fleet.Benchmarks.CommandBenchmark.RunAsync(args);
}

if (args.Length > 0 && args[0] == "command-load")
{
    return await Fleet.Benchmarks.CommandLoad.RunAsync(args);
}

if (args.Length > 0 && args[0] == "health-load")
{
    return await Fleet.Benchmarks.HealthLoad.RunAsync(args);
}

var devices = Arg("--devices", 1000);
var heartbeatSeconds = Arg("--heartbeat-seconds", 1);
var soakSeconds = Arg("--soak-seconds", 30);

await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
{
    ["Logging:LogLevel:Default"] = "Warning",
    ["Fleet:Devices:HeartbeatIntervalSeconds"] = heartbeatSeconds.ToString(CultureInfo.InvariantCulture),
    ["Fleet:Devices:OfflineTimeoutSeconds"] = (heartbeatSeconds * 10).ToString(CultureInfo.InvariantCulture),
    ["Fleet:Devices:PendingRetrySeconds"] = "5",
});
var process = Process.GetCurrentProcess();
Console.WriteLine($"Fleet benchmark: {devices} devices, heartbeat every {heartbeatSeconds} s, soak {soakSeconds} s, {Environment.ProcessorCount} cores");

var options = new AgentOptions
{
    BrokerHost = "127.0.0.1",
    BrokerPort = portal.MqttPort,
    PlainMqtt = true,
    KeepAliveSeconds = 60,
    TimeoutSeconds = 30,
};
var factory = new MqttClientFactory();
var runtimes = SimulatedFleet.Create(devices, seed: 11, TimeProvider.System)
    .Select(d => new DeviceRuntime(d, d, new InMemoryStateStore(new AgentState(d.EnrollmentId, null, null)), options, factory.CreateMqttClient, TimeProvider.System, NullLogger.Instance))
    .ToList();
using var stop = new CancellationTokenSource();

// 1. Enrolment: every device connects as bootstrap and asks; measured until the last one is recorded Pending.
var cpu0 = process.TotalProcessorTime;
var clock = Stopwatch.StartNew();
var running = runtimes.Select(r => Task.Run(() => r.RunAsync(stop.Token))).ToList();
await WaitForCountAsync(db => db.Devices.CountAsync(d => d.State == EnrollmentState.Pending), devices, TimeSpan.FromMinutes(5));
var enrolSeconds = clock.Elapsed.TotalSeconds;
Report("enrolment requests recorded (connect + request + commit + answer)", devices, enrolSeconds, cpu0);
Console.WriteLine($"  failed connects during the burst: {runtimes.Sum(r => r.ConnectFailures)}");

// 2. Approval to online: one bulk decision, then each device receives its credential, reconnects and says Online.
var ids = await QueryAsync(db => db.Devices.Select(d => d.Id).ToListAsync());
cpu0 = process.TotalProcessorTime;
clock.Restart();
await portal.Devices.DecideManyAsync(ids, TestActors.Operator, approve: true);
var decideSeconds = clock.Elapsed.TotalSeconds;
await WaitForCountAsync(db => db.Devices.CountAsync(d => d.IsOnline), devices, TimeSpan.FromMinutes(5));
Report($"approved and back online with their own credential (decisions took {decideSeconds:0.0} s)", devices, clock.Elapsed.TotalSeconds, cpu0);

// 3. Heartbeat soak: every device reports every heartbeatSeconds; every acknowledged heartbeat is a committed row.
var before = await QueryAsync(db => db.Heartbeats.CountAsync());
cpu0 = process.TotalProcessorTime;
clock.Restart();
await Task.Delay(TimeSpan.FromSeconds(soakSeconds));
var after = await QueryAsync(db => db.Heartbeats.CountAsync());
Report("heartbeats committed during the soak", after - before, clock.Elapsed.TotalSeconds, cpu0);
process.Refresh();
Console.WriteLine($"  process working set {process.WorkingSet64 / 1024 / 1024} MiB, managed heap {GC.GetTotalMemory(false) / 1024 / 1024} MiB (portal and {devices} simulated devices in one process)");

await stop.CancelAsync();
await Task.WhenAll(running);
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

void Report(string what, int count, double seconds, TimeSpan cpuBefore)
{
    process.Refresh();
    var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.WriteLine($"- {count} {what}: {seconds:0.00} s, {count / seconds:0} /s, CPU {cpu:0.0} s ({cpu / seconds / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores)");
}

async Task<T> QueryAsync<T>(Func<FleetDbContext, Task<T>> query)
{
    await using var db = await portal.CreateDbAsync();
    return await query(db);
}

async Task WaitForCountAsync(Func<FleetDbContext, Task<int>> count, int expected, TimeSpan timeout)
{
    var deadline = Stopwatch.StartNew();
    int current;
    while ((current = await QueryAsync(count)) < expected)
    {
        if (deadline.Elapsed > timeout)
        {
            throw new TimeoutException($"only {current} of {expected} after {timeout}");
        }

        await Task.Delay(100);
    }
}
