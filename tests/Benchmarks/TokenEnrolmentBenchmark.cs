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
using Fleet.Portal.Features.Health;
using Fleet.Portal.Ingest;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Benchmarks;

/// <summary>
/// End-to-end enrolment under the token policy: each simulated device (the agent's own DeviceRuntime) connects as
/// bootstrap, sends its request with the token, is approved inside the ingest batch, receives its credential,
/// reconnects with it and publishes Online. Latency per device, two end points: start → reconnected (the broker accepted
/// the connection made with the device's own credential: the issue's "request → decision → credential delivered →
/// reconnected") and start → Connected (its Online status acknowledged as well, which is one more commit by the ingest
/// writer, since statuses are acknowledged only once stored). The devices run in a separate
/// load process (<see cref="TokenEnrolmentLoad"/>), so the portal's process holds only the portal, as in production.
/// Optional warm-up rounds (other identities, same portal) run first so the measured round sees a portal whose code
/// is already compiled and optimised, as a long-running server's is.
/// </summary>
internal static class TokenEnrolmentBenchmark
{
    public static async Task<int> RunAsync(
        int devices,
        int ratePerSecond,
        int warmupDevices,
        int rounds,
        Dictionary<string, string> settings,
        bool agentDefaults,
        bool tls = false)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "300",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "3000",

            // Every simulated device comes from 127.0.0.1, as a large site behind NAT does: the per-address enrolment
            // rate is lifted unless --set says otherwise.
            ["Fleet:Mqtt:EnrollmentRequestsPerAddressPerSecond"] = "1000000",
            ["Fleet:Mqtt:EnrollmentBurstPerAddress"] = "1000000",
        };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        await using var portal = await PortalInstance.StartAsync(configuration);
        using var credentials = new CredentialCounts(portal);
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator);
        var token = (await enrollment.CreateTokenAsync(new CreateTokenInput("bench"), TestActors.Operator)).Value!.Value;
        Console.WriteLine($"Token-policy enrolment: {devices} devices started at {ratePerSecond}/s, {Environment.ProcessorCount} cores, devices in a separate load process");
        var fleetOptions = configuration.Where(kv => kv.Key.StartsWith("Fleet:", StringComparison.Ordinal));
        Console.WriteLine("Portal options: " + string.Join(", ", fleetOptions.Select(kv => $"{kv.Key}={kv.Value}")));
        var timeouts = agentDefaults ? "the agent's defaults" : "keep-alive 60 s, others 30 s";
        Console.WriteLine("Agent timeouts: " + timeouts);

        // One load process for every round: its code warms up with the warm-up rounds, as the portal's does (a fresh
        // process per round ran the simulated agents on unoptimised code for most of each round: 15 % more CPU).
        string? ca = null;
        if (tls)
        {
            ca = Path.Combine(Path.GetTempPath(), $"fleet-bench-ca-{Environment.ProcessId}.pem");
            await File.WriteAllTextAsync(ca, portal.Services
                .GetRequiredService<Fleet.Portal.Features.Certificates.PortalCertificateAuthority>().ChainPem);
        }

        Console.WriteLine("Transport: " + (tls ? "MQTTS, a key and certificate request per device" : "plain MQTT"));
        using var load = LoadProcess.Start(tls ? portal.MqttTlsPort : portal.MqttPort, token, agentDefaults, ca);

        // Warm-up rounds of other devices until the portal's code is compiled and optimised (the runtime promotes hot
        // methods only after a lull in new ones). Each round's devices go away afterwards, and their goodbyes are
        // processed before the next round.
        for (var (done, round) = (0, 0); done < warmupDevices; round++)
        {
            var count = Math.Min(devices, warmupDevices - done);
            Console.WriteLine($"Warm-up round {round + 1}: {count} other devices at {ratePerSecond}/s (not measured)");
            await RoundAsync(portal, load, credentials, count, ratePerSecond, seed: 101 + round);
            await Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None);
            done += count;
        }

        // Measured rounds (each its own devices; a round's p99 is its 80th-slowest of 8,000, so one round is a noisy
        // figure): each is printed, then all of them together.
        var all = new List<double[]>();
        for (var round = 0; round < rounds; round++)
        {
            if (round > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None);
            }

            Console.WriteLine($"Measured round {round + 1} of {rounds}:");
            all.AddRange(await RoundAsync(portal, load, credentials, devices, ratePerSecond, seed: 23 + round * 1000));
        }

        if (rounds > 1)
        {
            var reconnected = all.Select(r => r[0]).Order().ToArray();
            var connected = all.Select(r => r[1]).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"All {rounds} measured rounds, {all.Count} devices: start → reconnected p50 {P(reconnected, 0.50):0} ms, p99 {P(reconnected, 0.99):0} ms; start → Connected p50 {P(connected, 0.50):0} ms, p99 {P(connected, 0.99):0} ms"));
        }

        return 0;
    }

    private static double P(double[] values, double q) => values.Length == 0 ? double.NaN : values[Math.Min(values.Length - 1, (int)Math.Ceiling(q * values.Length) - 1)];

    /// <summary>Has the load process start <paramref name="devices"/> agents, waits until all are connected, reports, and lets them leave.</summary>
    /// <returns>Each device's latencies (see <see cref="TokenEnrolmentLoad"/>), empty if the load process failed.</returns>
    private static async Task<double[][]> RoundAsync(
        PortalInstance portal, LoadProcess load, CredentialCounts credentials, int devices, int ratePerSecond, int seed)
    {
        // How busy the portal's single ingest writer was during this round, by stage (Fleet.Ingest meter).
        var stages = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
        var waits = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && instrument.Name is IngestMetrics.BatchStageName or IngestMetrics.MessageLatencyName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var tag = tags.Length > 0 ? tags[0].Value as string ?? "?" : "?";
            (instrument.Name == IngestMetrics.MessageLatencyName ? waits : stages).GetOrAdd(tag, _ => []).Add(value);
        });
        listener.Start();
        using var allocations = AllocationSampler.StartIfAsked();

        var latencyFile = Path.GetTempFileName();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var (pause0, gen0, gen1, gen2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var before = credentials.Snapshot();
        var clock = Stopwatch.StartNew();
        var result = await load.RoundAsync(devices, ratePerSecond, seed, latencyFile);
        var seconds = clock.Elapsed.TotalSeconds;
        listener.Dispose();   // what follows (the devices leaving) is not part of the round
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var (pause, collections, gen1s, gen2s) = (GC.GetTotalPauseDuration() - pause0, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
        await load.LeaveAsync();   // the round's devices disconnect
        if (result is null)
        {
            Console.WriteLine("  the load process ended without a result");
            return [];
        }

        // DONE <connected> <load CPU seconds> <failed connects>
        var fields = result.Split(' ');
        var loadCpu = double.Parse(fields[2], CultureInfo.InvariantCulture);
        var rows = (await File.ReadAllLinesAsync(latencyFile)).Select(l => l.Split(' ').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        File.Delete(latencyFile);
        var reconnected = rows.Select(r => r[0]).Order().ToArray();
        var sorted = rows.Select(r => r[1]).Order().ToArray();
        await using (var db = await portal.CreateDbAsync())
        {
            var approved = await db.Devices.CountAsync(d => d.State == EnrollmentState.Approved && d.ApprovedBy == "token:bench");
            Console.WriteLine($"- {sorted.Length} of {devices} enrolled and reconnected ({approved} approved by the token policy so far) in {seconds:0.00} s: {sorted.Length / seconds:0} /s");
        }

        Console.WriteLine("  " + credentials.Since(before));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  latency start → reconnected with its credential: p50 {P(reconnected, 0.50):0} ms, p90 {P(reconnected, 0.90):0} ms, p99 {P(reconnected, 0.99):0} ms, max {P(reconnected, 1):0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  latency start → Connected (Online stored and acknowledged): p50 {P(sorted, 0.50):0} ms, p90 {P(sorted, 0.90):0} ms, p99 {P(sorted, 0.99):0} ms, max {P(sorted, 1):0} ms"));
        var stepNames = new[] { "start → bootstrap CONNACK", "→ enrolment response", "→ CONNACK with credential", "→ Online acknowledged" };
        Console.WriteLine("  by step, p50/p99: " + string.Join(", ", stepNames.Select((name, k) =>
        {
            var step = rows.Select(r => r[2 + k]).Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"{name} {P(step, 0.50):0}/{P(step, 0.99):0} ms");
        })));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  CPU: portal {cpu:0.0} s ({cpu / seconds / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores, {cpu * 1000 / Math.Max(1, sorted.Length):0.00} ms a device), load process {loadCpu:0.0} s; failed connects {fields[3]}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  portal GC: paused {pause.TotalMilliseconds:0} ms in {collections} collections ({gen1s} gen1, {gen2s} gen2)"));
        var busy = stages.Values.Sum(v => v.Sum()) / 1000;
        var perStage = string.Join(", ", stages.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s =>
        {
            var v = s.Value.Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"{s.Key} {P(v, 0.5):0.0}/{P(v, 0.99):0.0} ms");
        }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ingest writer: {stages.GetValueOrDefault("apply")?.Count ?? 0} batches, busy {busy / seconds:P0} of the time; per batch p50/p99: {perStage}"));
        foreach (var (kind, values) in waits.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var wait = values.Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kind}: {wait.Length} received → committed p50 {P(wait, 0.5):0} ms, p99 {P(wait, 0.99):0} ms"));
        }

        allocations?.Report(sorted.Length);
        return rows;
    }
}

/// <summary>The <see cref="TokenEnrolmentLoad"/> process, driven line by line over its standard input.</summary>
internal sealed class LoadProcess : IDisposable
{
    private readonly Process _process;

    private LoadProcess(Process process) => _process = process;

    /// <param name="ca">The portal CA chain file for MQTTS; null: plain MQTT.</param>
    public static LoadProcess Start(int port, string token, bool agentDefaults, string? ca = null)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
        var port1 = port.ToString(CultureInfo.InvariantCulture);
        string[] flags = [.. agentDefaults ? ["--agent-defaults"] : Array.Empty<string>(),
            .. ca is null ? Array.Empty<string>() : ["--ca", ca]];
        foreach (var arg in HealthBenchmark.Self().Concat(["enrol-load", "--port", port1, "--token", token, .. flags]))
        {
            start.ArgumentList.Add(arg);
        }

        return new LoadProcess(Process.Start(start)!);
    }

    /// <returns>The <c>DONE</c> line, or null if the process ended first.</returns>
    public async Task<string?> RoundAsync(int devices, int rate, int seed, string latencyFile)
    {
        await _process.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"ROUND {devices} {rate} {seed} {latencyFile}"));
        await _process.StandardInput.FlushAsync();
        return await ReadUntilAsync("DONE ");
    }

    public async Task LeaveAsync()
    {
        await _process.StandardInput.WriteLineAsync("LEAVE");
        await _process.StandardInput.FlushAsync();
        await ReadUntilAsync("LEFT");
    }

    private async Task<string?> ReadUntilAsync(string prefix)
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return null;
    }

    public void Dispose()
    {
        _process.StandardInput.Close();   // the load process lets any devices leave and exits
        _process.WaitForExit(TimeSpan.FromMinutes(1));
        _process.Dispose();
    }
}

/// <summary>
/// The enrolling devices, in their own process, one round per <c>ROUND devices rate seed latency-file</c> line on its
/// standard input: starts the agents at <c>rate</c> per second, writes each one's latencies to the file (a line each,
/// milliseconds: start → reconnected, start → Connected, then the steps start → bootstrap CONNACK → enrolment response
/// → CONNACK with its credential → Online acknowledged), prints <c>DONE connected cpu-seconds failed-connects</c>, and
/// keeps them connected until <c>LEAVE</c> (answered <c>LEFT</c>) or the end of its input.
/// </summary>
internal static class TokenEnrolmentLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Value(string name) => args[Array.IndexOf(args, name) + 1];
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = int.Parse(Value("--port"), CultureInfo.InvariantCulture),
            PlainMqtt = !args.Contains("--ca"),
            CaCertificateFile = args.Contains("--ca") ? Value("--ca") : null,
            // The agent's own defaults (30 s, 10 s) with --agent-defaults: the storm scenario of docs/benchmarks.md.
            KeepAliveSeconds = args.Contains("--agent-defaults") ? new AgentOptions().KeepAliveSeconds : 60,
            TimeoutSeconds = args.Contains("--agent-defaults") ? new AgentOptions().TimeoutSeconds : 30,
            EnrollmentToken = Value("--token"),
            ClaimBanner = false,
            HeartbeatIntervalOverrideSeconds = 300,
        };
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(Environment.GetEnvironmentVariable("BENCH_AGENT_LOG") is null ? LogLevel.None : LogLevel.Information));
        var agentLogger = loggers.CreateLogger("agent");
        var factory = new MqttClientFactory();
        Round? current = null;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var fields = line.Split(' ');
            if (fields[0] == "ROUND")
            {
                int Field(int i) => int.Parse(fields[i], CultureInfo.InvariantCulture);
                current = await Round.RunAsync(Field(1), Field(2), Field(3), fields[4], options, factory, agentLogger);
            }
            else if (fields[0] == "LEAVE" && current is not null)
            {
                await current.LeaveAsync();
                current = null;
                Console.WriteLine("LEFT");
            }
        }

        if (current is not null)
        {
            await current.LeaveAsync();
        }

        return 0;
    }

    /// <summary>One round's devices, connected until they leave.</summary>
    private sealed class Round(CancellationTokenSource stop, List<Task> running)
    {
        public static async Task<Round> RunAsync(int devices, int rate, int seed, string latencyFile, AgentOptions options, MqttClientFactory factory, ILogger agentLogger)
        {
            // When each device reached each step (Stopwatch timestamps): bootstrap CONNACK, enrolment response received,
            // CONNACK with its own credential.
            var (bootstrapAt, answeredAt, reconnectedAt) = (new long[devices], new long[devices], new long[devices]);
            var runtimes = SimulatedFleet.Create(devices, seed, TimeProvider.System)
                .Select((d, i) => new DeviceRuntime(d, d, new InMemoryStateStore(new AgentState(d.EnrollmentId)), options, () => Stamping(i), TimeProvider.System, agentLogger))
                .ToList();

            // The first connection the broker accepts with the device's own credential (not the bootstrap identity).
            IMqttClient Stamping(int device)
            {
                var client = factory.CreateMqttClient();
                client.ConnectedAsync += _ =>
                {
                    var user = client.Options.Credentials?.GetUserName(client.Options);
                    Interlocked.CompareExchange(ref (user == Topics.BootstrapUserName ? ref bootstrapAt[device] : ref reconnectedAt[device]), Stopwatch.GetTimestamp(), 0);
                    return Task.CompletedTask;
                };
                client.ApplicationMessageReceivedAsync += _ =>
                {
                    if (client.Options.Credentials?.GetUserName(client.Options) == Topics.BootstrapUserName)
                    {
                        Interlocked.CompareExchange(ref answeredAt[device], Stopwatch.GetTimestamp(), 0);
                    }

                    return Task.CompletedTask;
                };
                return client;
            }

            var latencies = new ConcurrentBag<double[]>();
            var stop = new CancellationTokenSource();
            var running = new List<Task>(devices);
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            // Awaited, not waited on: a blocked thread-pool thread is one fewer for the devices' handshakes.
            var remaining = devices;
            var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            for (var i = 0; i < runtimes.Count; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
                if (due > TimeSpan.FromMilliseconds(2))
                {
                    await Task.Delay(due);
                }

                var (runtime, device) = (runtimes[i], i);
                var started = Stopwatch.GetTimestamp();
                var done = 0;
                runtime.PhaseChanged += (_, phase) =>
                {
                    if (phase == DevicePhase.Connected && Interlocked.Exchange(ref done, 1) == 0)
                    {
                        var now = Stopwatch.GetTimestamp();
                        long[] steps = [started, Volatile.Read(ref bootstrapAt[device]), Volatile.Read(ref answeredAt[device]), Volatile.Read(ref reconnectedAt[device]), now];
                        latencies.Add([
                            Stopwatch.GetElapsedTime(started, steps[3]).TotalMilliseconds, Stopwatch.GetElapsedTime(started, now).TotalMilliseconds,
                            .. steps.Skip(1).Select((t, k) => Stopwatch.GetElapsedTime(steps[k], t).TotalMilliseconds)]);
                        if (Interlocked.Decrement(ref remaining) == 0)
                        {
                            connected.TrySetResult();
                        }
                    }
                };
                running.Add(Task.Run(() => runtime.RunAsync(stop.Token), CancellationToken.None));
            }

            await connected.Task.WaitAsync(TimeSpan.FromMinutes(5))
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            await File.WriteAllLinesAsync(latencyFile, latencies.Select(l => string.Join(' ', l.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE {latencies.Count} {cpu:0.00} {runtimes.Sum(r => r.ConnectFailures)}"));
            return new Round(stop, running);
        }

        public async Task LeaveAsync()
        {
            await stop.CancelAsync();
            await Task.WhenAll(running);
            stop.Dispose();
        }
    }
}

/// <summary>The portal's <c>Fleet.Enrollment</c> counters: credentials answered by kind, lock-outs by scope.</summary>
internal sealed class CredentialCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public CredentialCounts(PortalInstance portal)
    {
        var meters = portal.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == EnrollmentMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = $"{instrument.Name}:{(tags.Length > 0 ? tags[0].Value : null)}";
            _counts.AddOrUpdate(key, value, (_, n) => n + value);
        });
        _listener.Start();
    }

    public Dictionary<string, long> Snapshot() => new(_counts, StringComparer.Ordinal);

    public string Since(Dictionary<string, long> before)
    {
        long N(string key) => _counts.GetValueOrDefault(key) - before.GetValueOrDefault(key);
        var c = EnrollmentMetrics.CredentialsName;
        var l = EnrollmentMetrics.LockoutsName;
        return $"credentials: {N($"{c}:issued")} issued, {N($"{c}:reissued")} re-issued, "
            + $"{N($"{c}:repeated")} repeated; "
            + $"lock-outs: {N($"{l}:client")} of a client, {N($"{l}:address")} of an address";
    }

    public void Dispose() => _listener.Dispose();
}
