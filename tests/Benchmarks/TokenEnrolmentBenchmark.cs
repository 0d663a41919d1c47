using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Fleet.DeviceAgent;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Telemetry;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Benchmarks;

/// <summary>
/// End-to-end enrolment under the token policy: each simulated device (the agent's own DeviceRuntime)
/// connects as bootstrap, sends its request with the token, is approved inside the ingest batch, receives
/// its credential, reconnects with it and publishes Online. Latency per device: start → Connected.
/// Optional warm-up rounds (other identities, same portal) run first so the measured round sees a portal whose
/// code is already compiled and optimised, as a long-running server's is.
/// </summary>
internal static class TokenEnrolmentBenchmark
{
    public static async Task<int> RunAsync(int devices, int ratePerSecond, int warmupDevices)
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "300",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "3000",

            // Every simulated device comes from 127.0.0.1: the per-address enrolment limit is for real sites.
            ["Fleet:Mqtt:EnrollmentRequestsPerAddressPerSecond"] = "1000000",
            ["Fleet:Mqtt:EnrollmentBurstPerAddress"] = "1000000",
        });
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator);
        var token = (await enrollment.CreateTokenAsync(new CreateTokenInput("bench"), TestActors.Operator)).Value!.Value;
        Console.WriteLine($"Token-policy enrolment: {devices} devices started at {ratePerSecond}/s, {Environment.ProcessorCount} cores");

        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = portal.MqttPort,
            KeepAliveSeconds = 60,
            TimeoutSeconds = 30,
            EnrollmentToken = token,
            ClaimBanner = false,
            HeartbeatIntervalOverrideSeconds = 300,
        };
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(Environment.GetEnvironmentVariable("BENCH_AGENT_LOG") is null ? LogLevel.None : LogLevel.Information));
        var agentLogger = loggers.CreateLogger("agent");

        // Warm-up rounds of other devices until the portal's code is compiled and optimised, as a long-running
        // server's is (the runtime promotes hot methods only after a lull in new ones). Each round's devices go away
        // afterwards (two descriptors each in this one process), and their goodbyes are processed before the next.
        for (var (done, round) = (0, 0); done < warmupDevices; round++)
        {
            var count = Math.Min(devices, warmupDevices - done);
            Console.WriteLine($"Warm-up round {round + 1}: {count} other devices at {ratePerSecond}/s (not measured)");
            using var stopRound = new CancellationTokenSource();
            var warmup = new List<Task>();
            await RoundAsync(portal, options, agentLogger, count, ratePerSecond, seed: 101 + round, warmup, stopRound.Token);
            await stopRound.CancelAsync();
            await Task.WhenAll(warmup);
            await Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None);
            done += count;
        }

        using var stop = new CancellationTokenSource();
        var running = new List<Task>();
        await RoundAsync(portal, options, agentLogger, devices, ratePerSecond, seed: 23, running, stop.Token);
        await stop.CancelAsync();
        await Task.WhenAll(running);
        return 0;
    }

    /// <summary>Starts <paramref name="devices"/> agents and waits until all are connected; they stay connected (in <paramref name="running"/>) until <paramref name="stop"/>.</summary>
    private static async Task RoundAsync(PortalInstance portal, AgentOptions options, ILogger agentLogger, int devices, int ratePerSecond, int seed, List<Task> running, CancellationToken stop)
    {
        // How busy the portal's single ingest writer was during this round, by stage (Fleet.Ingest meter).
        var stages = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        var batches = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && instrument.Name == IngestMetrics.BatchStageName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var stage = tags.Length > 0 ? tags[0].Value as string ?? "?" : "?";
            stages.AddOrUpdate(stage, value, (_, sum) => sum + value);
            if (stage == "apply")
            {
                Interlocked.Increment(ref batches);
            }
        });
        listener.Start();

        var factory = new MqttClientFactory();
        var runtimes = SimulatedFleet.Create(devices, seed, TimeProvider.System)
            .Select(d => new DeviceRuntime(d, d, new InMemoryStateStore(new AgentState(d.EnrollmentId)), options, factory.CreateMqttClient, TimeProvider.System, agentLogger))
            .ToList();
        var latencies = new ConcurrentBag<double>();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var connected = new CountdownEvent(devices);
        for (var i = 0; i < runtimes.Count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / ratePerSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(2))
            {
                await Task.Delay(due, stop);
            }

            var runtime = runtimes[i];
            var started = Stopwatch.GetTimestamp();
            var done = 0;
            runtime.PhaseChanged += (_, phase) =>
            {
                if (phase == DevicePhase.Connected && Interlocked.Exchange(ref done, 1) == 0)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    connected.Signal();
                }
            };
            running.Add(Task.Run(() => runtime.RunAsync(stop), CancellationToken.None));
        }

        var startedIn = clock.Elapsed.TotalSeconds;
        if (!connected.Wait(TimeSpan.FromMinutes(5), stop))
        {
            Console.WriteLine($"  only {devices - connected.CurrentCount} of {devices} connected within 5 minutes");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var sorted = latencies.OrderBy(l => l).ToArray();
        double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        await using (var db = await portal.CreateDbAsync())
        {
            var approved = await db.Devices.CountAsync(d => d.State == EnrollmentState.Approved && d.ApprovedBy == "token:bench", stop);
            Console.WriteLine($"- {sorted.Length} enrolled and reconnected ({approved} approved by the token policy so far) in {seconds:0.00} s (ramp took {startedIn:0.00} s): {sorted.Length / seconds:0} /s");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  latency start → Connected: p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {P(1):0} ms"));
        Console.WriteLine($"  CPU {cpu:0.0} s ({cpu / seconds / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores), failed connects {runtimes.Sum(r => r.ConnectFailures)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ingest writer: {batches} batches, busy {stages.Values.Sum() / 1000 / seconds:P0} of the time (apply {stages.GetValueOrDefault("apply") / 1000:0.00} s, commit {stages.GetValueOrDefault("commit") / 1000:0.00} s, finish {stages.GetValueOrDefault("finish") / 1000:0.00} s)"));
    }
}
