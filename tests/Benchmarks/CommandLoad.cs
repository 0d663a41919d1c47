using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Benchmarks;

/// <summary>
/// The devices of the command benchmark, run as their own process: one MQTT client per device subscribes to its
/// commands, announces itself Online (which makes the portal send what waits for it), and answers each command as
/// the agent answers a ping: one QoS 1 result, Succeeded. Runs until a line arrives on stdin, then prints how many
/// commands it answered.
/// </summary>
internal static class CommandLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(args[Array.IndexOf(args, "--port") + 1], CultureInfo.InvariantCulture);
        var devices = File.ReadAllLines(args[Array.IndexOf(args, "--ids") + 1]).Select(l => l.Split(' '))
            .Select(p => (Id: p[0], Secret: p[1])).ToList();
        long answered = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var (clients, failed) = await HealthLoad.ConnectAllAsync(port, devices, prepare: (i, client) =>
            client.ApplicationMessageReceivedAsync += e =>
            {
                // Answer off MQTTnet's receive path: its acknowledgement of the command must not wait for ours.
                var payload = e.ApplicationMessage.Payload.ToArray();
                _ = Task.Run(async () =>
                {
                    var command = JsonSerializer.Deserialize(payload, FleetJson.Default.CommandRequest)!;
                    var result = new CommandResult(command.Id, CommandState.Succeeded, DateTimeOffset.UtcNow,
                        Detail: "pong");
                    var reply = await client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(Topics.CommandResult(devices[i].Id))
                        .WithPayload(JsonSerializer.SerializeToUtf8Bytes(result, FleetJson.Default.CommandResult))
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                    Interlocked.Increment(ref reply.IsSuccess ? ref answered : ref refused);
                });
                return Task.CompletedTask;
            });
        await Parallel.ForEachAsync(
            Enumerable.Range(0, devices.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (i, ct) =>
            {
                await clients[i].SubscribeAsync(
                    Topics.Commands(devices[i].Id), MqttQualityOfServiceLevel.AtLeastOnce, ct);
                await clients[i].PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(Topics.Status(devices[i].Id))
                    .WithPayload(JsonSerializer.SerializeToUtf8Bytes(
                        new DeviceStatus(DeviceState.Online, "bench"), FleetJson.Default.DeviceStatus))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
            });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CONNECTED {clients.Count(c => c.IsConnected)} {clock.Elapsed.TotalSeconds:0.0} {failed}"));
        await Console.In.ReadLineAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {Interlocked.Read(ref answered)} {Interlocked.Read(ref refused)}"));
        foreach (var client in clients.Where(c => c.IsConnected))
        {
            await client.DisconnectAsync();
        }

        return 0;
    }
}
