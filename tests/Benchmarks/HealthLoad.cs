using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Benchmarks;

/// <summary>
/// The load generator, run as its own process so the portal's CPU and memory are measured alone:
/// connects one MQTT client per device, then publishes QoS 1 health reports round-robin at a fixed
/// total rate, recording publish-to-PUBACK latency and which reports were acknowledged.
/// </summary>
internal static class HealthLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(Value(args, "--port"), CultureInfo.InvariantCulture);
        var devices = File.ReadAllLines(Value(args, "--ids")).Select(l => l.Split(' ')).Select(p => (Id: p[0], Secret: p[1])).ToList();
        var rate = int.Parse(Value(args, "--rate"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(Value(args, "--seconds"), CultureInfo.InvariantCulture);
        var ackedFile = Value(args, "--acked");

        // --ca and --certs (HealthBenchmark --tls): TLS with each device's client certificate and key, no password.
        var caIndex = Array.IndexOf(args, "--ca");
        var ca = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        if (caIndex >= 0)
        {
            ca.ImportFromPemFile(args[caIndex + 1]);
        }

        var certificates = caIndex >= 0 ? Value(args, "--certs") : null;

        var connectClock = Stopwatch.StartNew();
        var (clients, failedConnects) = await ConnectAllAsync(port, devices, ca, certificates);
        Console.WriteLine($"CONNECTED {clients.Count(c => c.IsConnected)} {connectClock.Elapsed.TotalSeconds:0.0} {failedConnects}");
        await Task.Delay(TimeSpan.FromSeconds(5)); // let the portal settle before measuring the load

        var latencies = new ConcurrentBag<double>();
        var acked = new ConcurrentQueue<(int Device, long Sequence)>();
        long sent = 0, failed = 0;
        var sequences = new long[devices.Count];
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var next = 0;
        var total = (long)rate * seconds;
        while (sent < total)
        {
            // Publish what the schedule says is due by now, then sleep a tick.
            var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            while (sent < due)
            {
                var device = next;
                next = (next + 1) % devices.Count;
                var sequence = ++sequences[device];
                sent++;
                inFlight.Add(PublishAsync(device, sequence));
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            await Task.Delay(5);
        }

        var publishSeconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(inFlight);
        var drainSeconds = clock.Elapsed.TotalSeconds;
        await File.WriteAllLinesAsync(ackedFile, acked.Select(a => $"{devices[a.Device].Id} {a.Sequence}"));
        var sorted = latencies.Order().ToArray();
        var result = new Dictionary<string, double>
        {
            ["sent"] = sent,
            ["acked"] = acked.Count,
            ["failed"] = failed,
            ["publishSeconds"] = publishSeconds,
            ["drainSeconds"] = drainSeconds,
            ["p50"] = Percentile(sorted, 0.50),
            ["p99"] = Percentile(sorted, 0.99),
        };
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        foreach (var client in clients.Where(c => c.IsConnected))
        {
            await client.DisconnectAsync();
        }

        return 0;

        async Task PublishAsync(int device, long sequence)
        {
            var id = devices[device].Id;
            var report = new HealthReport(sequence, DateTimeOffset.UtcNow, UptimeSeconds: 1000 + sequence, CpuPercent: sequence % 100,
                Load: new LoadAverages(0.5, 0.4, 0.3), Memory: new MemoryUsage(8_000_000_000, 4_000_000_000, 0, 0),
                Filesystems: [new FilesystemUsage("/sysroot", "/dev/vda4", "xfs", 100_000, 40_000 + (sequence % 50), 60_000)],
                Temperatures: [new TemperatureReading("thermal_zone0", "x86_pkg_temp", 40 + (sequence % 30))], FailedUnits: []);
            var message = new MqttApplicationMessageBuilder().WithTopic(Topics.Health(id))
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(report, FleetJson.Default.HealthReport))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await clients[device].PublishAsync(message);
                if (result.ReasonCode == MqttClientPublishReasonCode.Success)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    acked.Enqueue((device, sequence));
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }

    /// <summary>
    /// Connects one MQTT 5 client per device, 64 at a time, with its credentials (or, given
    /// <paramref name="certificates"/>, over TLS with its client certificate), retrying a refused connect four times;
    /// <paramref name="prepare"/> runs on each client before it connects (a message handler).
    /// </summary>
    public static async Task<(IMqttClient[] Clients, int FailedConnects)> ConnectAllAsync(
        int port,
        IReadOnlyList<(string Id, string Secret)> devices,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? ca = null,
        string? certificates = null,
        Action<int, IMqttClient>? prepare = null)
    {
        var factory = new MqttClientFactory();
        var clients = new IMqttClient[devices.Count];
        var failedConnects = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 64 };
        await Parallel.ForEachAsync(Enumerable.Range(0, devices.Count), parallel, async (i, ct) =>
        {
            var client = factory.CreateMqttClient();
            prepare?.Invoke(i, client);
            var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(devices[i].Id)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(120)).WithTimeout(TimeSpan.FromSeconds(60));
            if (certificates is null)
            {
                builder.WithCredentials(devices[i].Id, devices[i].Secret);
            }
            else
            {
                var pem = await File.ReadAllTextAsync(Path.Combine(certificates, devices[i].Id + ".pem"), ct);
                var certificate =
                    System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem, pem);
                builder.WithTlsOptions(Fleet.Portal.Tests.Infrastructure.TestTls.Client(ca!, certificate));
            }

            var options = builder.Build();
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    await client.ConnectAsync(options, ct);
                    break;
                }
                catch (Exception) when (attempt < 4)
                {
                    Interlocked.Increment(ref failedConnects);
                    await Task.Delay(200, ct);
                }
            }

            clients[i] = client;
        });
        return (clients, failedConnects);
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Value(string[] args, string name) => args[Array.IndexOf(args, name) + 1];
}
